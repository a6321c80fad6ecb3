import Crypto
import Foundation
import HubCore

import Logging

/// Accounts, sign-in, sessions and API tokens: the rules of who may become whom. The web routes
/// and the command line (`streamhub user`, `streamhub token`) both go through this, so the first
/// account is the admin however it is made, and a revoked token is refused however it was revoked.
public struct AccountService: Sendable {
    let accounts: any AccountRepository
    let hasher: PasswordHasher
    public let secret: HubSecret
    let throttle: LoginThrottle
    let clock: any WallClock
    let sessionLifetime: TimeInterval
    let logger: Logger
    /// Tells the other instances sharing the database what changed here; nil for one process.
    let broadcast: (any CacheBroadcast)?
    /// Every authenticated request needs its account (and, for tokens, the token); kept for two
    /// seconds so streaming does not pay a database hop per range request. Changes made here
    /// drop their entries at once, and through `broadcast` those of the other instances too;
    /// changes nobody broadcasts (the CLI revoking a token on SQLite) take effect within that time.
    private let userCache = ExpiringCache<UserID, User>(lifetime: .seconds(2))
    private let tokenCache = ExpiringCache<String, APIToken>(lifetime: .seconds(2))
    /// Cookies already verified, with their CSRF token: a seeking video player sends its cookie
    /// with every range request, and checking the signature again each time is wasted work.
    private let sessionCache = ExpiringCache<String, VerifiedSession>(lifetime: .seconds(2))

    private struct VerifiedSession: Sendable {
        var session: SessionCookie
        var csrfToken: String
    }

    public init(
        configuration: HubConfiguration, accounts: any AccountRepository, clock: any WallClock, broadcast: (any CacheBroadcast)? = nil,
        signInFailures: (any SignInFailureLog)? = nil, logger: Logger
    ) throws(ConfigurationError) {
        self.broadcast = broadcast
        self.accounts = accounts
        self.hasher = PasswordHasher(cost: configuration.bcryptCost)
        self.secret = try HubSecret.load(configured: configuration.secretKey, dataDirectory: configuration.dataDirectory)
        self.throttle = LoginThrottle(clock: clock, shared: signInFailures)
        self.clock = clock
        self.sessionLifetime = TimeInterval(configuration.sessionLifetimeSeconds)
        self.logger = logger
    }

    // MARK: - Accounts

    /// True until the first account exists; the sign-up page then makes the admin.
    public func needsFirstAccount() async throws -> Bool {
        try await accounts.userCount() == 0
    }

    /// Makes an account. The first account of a hub is always an admin, whatever `role` says.
    public func createUser(name rawName: String, password: String, role: Role) async throws -> User {
        let name = try AccountRules.canonicalName(rawName)
        try AccountRules.checkPassword(password)
        let hash = try await hasher.hash(password)
        if let first = try await insertFirstAccount(name: name, passwordHash: hash) { return first }
        let user = User(name: name, role: role, passwordHash: hash, createdAt: clock.now())
        _ = try await accounts.insert(user, asFirstAccount: false)
        logger.info("account created", metadata: ["user": "\(name)", "role": "\(role.rawValue)"])
        return user
    }

    /// Self-service sign-up: the first account, anyone while sign-up is open, or the holder of
    /// an invitation (with the invitation's role).
    public func signUp(name: String, password: String, invitationCode: String?) async throws -> User {
        // Validated first, so a typo does not use up an invitation.
        _ = try AccountRules.canonicalName(name)
        try AccountRules.checkPassword(password)
        if try await needsFirstAccount() {
            // Many may see an empty hub at once; the database lets exactly one of them be first.
            // The others go on as any later sign-up would: by invitation or open sign-up.
            let hash = try await hasher.hash(password)
            if let first = try await insertFirstAccount(name: try AccountRules.canonicalName(name), passwordHash: hash) { return first }
        }
        if let code = invitationCode, !code.isEmpty {
            guard let invitation = try await accounts.redeemInvitation(codeHash: Self.digest(code), at: clock.now()) else {
                throw AccountError.invalidInvitation
            }
            return try await createUser(name: name, password: password, role: invitation.role)
        }
        guard try await accounts.isSignupOpen() else {
            throw AccountError.signupClosed
        }
        return try await createUser(name: name, password: password, role: .member)
    }

    /// The admin, when no account existed yet: the check and the insert are one transaction.
    private func insertFirstAccount(name: String, passwordHash: String) async throws -> User? {
        let first = User(name: name, role: .admin, passwordHash: passwordHash, createdAt: clock.now())
        guard try await accounts.insert(first, asFirstAccount: true) else { return nil }
        logger.notice("first account created; it is the admin", metadata: ["user": "\(name)"])
        return first
    }

    public func user(named name: String) async throws -> User? {
        guard let name = try? AccountRules.canonicalName(name) else { return nil }
        return try await accounts.user(named: name)
    }

    public func user(_ id: UserID) async throws -> User? { try await cachedUser(id) }

    public func users() async throws -> [User] { try await accounts.users() }

    public func isSignupOpen() async throws -> Bool { try await accounts.isSignupOpen() }

    public func setSignupOpen(_ open: Bool) async throws { try await accounts.setSignupOpen(open) }

    /// An invitation code for the sign-up page, valid once for `validFor`.
    public func invite(by admin: User, role: Role, validFor: TimeInterval = 7 * 86_400) async throws -> String {
        let code = Self.randomSecret()
        try await accounts.insert(Invitation(codeHash: Self.digest(code), role: role, createdBy: admin.id, expiresAt: clock.now().addingTimeInterval(validFor)))
        return code
    }

    /// Disables or re-enables an account; disabling ends its sessions and stops its tokens.
    public func setDisabled(_ id: UserID, _ disabled: Bool, by admin: User) async throws -> User {
        guard id != admin.id else { throw AccountError.ownAccount(action: "disable") }
        guard var user = try await accounts.user(id) else { throw AccessError.notFound("user") }
        user.isDisabled = disabled
        if disabled { user.sessionGeneration += 1 }
        try await save(user)
        logger.notice(disabled ? "account disabled" : "account enabled", metadata: ["user": "\(user.name)", "by": "\(admin.name)"])
        return user
    }

    public func deleteUser(_ id: UserID, by admin: User) async throws {
        guard id != admin.id else { throw AccountError.ownAccount(action: "delete") }
        guard try await accounts.delete(id) else { throw AccessError.notFound("user") }
        userCache.remove(id)
        tokenCache.removeAll()
        await broadcast?.publish(.account(id))
        await broadcast?.publish(.tokens)
        logger.notice("account deleted", metadata: ["user": "\(id)", "by": "\(admin.name)"])
    }

    // MARK: - Sessions

    /// Checks a password, throttled per account and per address. Unknown names and wrong
    /// passwords get the same answer in the same time.
    public func signIn(name rawName: String, password: String, address: String) async throws -> (User, SessionCookie) {
        let name = rawName.trimmingCharacters(in: .whitespaces).lowercased()
        try await throttle.check(account: name, address: address)
        let user = try await user(named: name)
        let valid: Bool
        if let user {
            valid = try await hasher.verify(password, against: user.passwordHash)
        } else {
            try await hasher.verifyNothing(password)
            valid = false
        }
        guard let user, valid, !user.isDisabled else {
            try await throttle.recordFailure(account: name, address: address)
            logger.notice("sign-in refused", metadata: ["user": "\(name)", "address": "\(address)"])
            throw AccountError.invalidCredentials
        }
        try await throttle.recordSuccess(account: name)
        return (user, session(for: user))
    }

    /// Signs the user out everywhere: every session cookie issued so far stops working.
    public func signOut(_ user: User) async throws {
        guard var current = try await accounts.user(user.id) else { return }
        current.sessionGeneration += 1
        try await save(current)
    }

    /// Changes the password after checking the current one; every other session ends, and the
    /// returned session replaces the caller's.
    public func changePassword(of user: User, current: String, new: String) async throws -> SessionCookie {
        try AccountRules.checkPassword(new)
        guard var stored = try await accounts.user(user.id), try await hasher.verify(current, against: stored.passwordHash) else {
            throw AccountError.wrongPassword
        }
        stored.passwordHash = try await hasher.hash(new)
        stored.sessionGeneration += 1
        try await save(stored)
        return session(for: stored)
    }

    /// Sets a password without the current one (the command line, run by whoever owns the server).
    public func resetPassword(of user: User, to password: String) async throws {
        try AccountRules.checkPassword(password)
        var stored = user
        stored.passwordHash = try await hasher.hash(password)
        stored.sessionGeneration += 1
        try await save(stored)
    }

    public func session(for user: User) -> SessionCookie {
        SessionCookie(userID: user.id, generation: user.sessionGeneration, expiresAt: clock.now().addingTimeInterval(sessionLifetime))
    }

    /// The identity a session cookie proves, or nil when it is forged, expired, signed out or
    /// belongs to a disabled or deleted account.
    public func identity(sessionCookie value: Substring) async throws -> Identity? {
        let now = clock.now()
        let key = String(value)
        var verified = sessionCache.value(for: key)
        if verified == nil, let session = SessionCookie.decode(value, with: secret, now: now) {
            let fresh = VerifiedSession(session: session, csrfToken: session.csrfToken(with: secret))
            sessionCache.store(fresh, for: key)
            verified = fresh
        }
        guard let verified, verified.session.expiresAt > now,
            let user = try await cachedUser(verified.session.userID),
            !user.isDisabled, user.sessionGeneration == verified.session.generation
        else { return nil }
        return Identity(user: user, credential: .session(csrfToken: verified.csrfToken))
    }

    // MARK: - API tokens

    /// Makes a token for `user`; the secret is returned once and only its hash is kept.
    public func createToken(for user: User, label: String) async throws -> (APIToken, secret: String) {
        let label = label.trimmingCharacters(in: .whitespacesAndNewlines)
        guard APIToken.labelLength.contains(label.count) else {
            throw InvalidInput("a token's label is 1 to 64 characters", code: "invalid_label")
        }
        let secret = APIToken.secretPrefix + Self.randomSecret()
        let token = APIToken(id: String(Self.randomSecret().prefix(16)), userID: user.id, label: label, secretHash: Self.digest(secret), createdAt: clock.now())
        try await accounts.insert(token)
        logger.info("API token created", metadata: ["user": "\(user.name)", "token.id": "\(token.id)"])
        return (token, secret)
    }

    public func tokens(of user: User) async throws -> [APIToken] { try await accounts.tokens(of: user.id) }

    /// Revokes one of `user`'s tokens by id (any user's, for an admin).
    public func revokeToken(id: String, by user: User) async throws {
        guard try await accounts.deleteToken(id: id, of: user.isAdmin ? nil : user.id) else { throw AccessError.notFound("token") }
        tokenCache.removeAll()
        await broadcast?.publish(.tokens)
    }

    /// Revokes a token by its secret (the command line). False when no token has that secret.
    public func revokeToken(secret: String) async throws -> Bool {
        let revoked = try await accounts.deleteToken(secretHash: Self.digest(secret))
        tokenCache.removeAll()
        if revoked { await broadcast?.publish(.tokens) }
        return revoked
    }

    /// The identity a bearer token proves, or nil when it is unknown, revoked or its account
    /// is disabled.
    public func identity(bearerToken secret: Substring) async throws -> Identity? {
        guard secret.hasPrefix(APIToken.secretPrefix), secret.utf8.count < 128 else { return nil }
        let hash = Self.digest(secret)
        guard let token = try await tokenCache.value(for: hash, orLoad: { try await accounts.token(secretHash: hash) }),
            let user = try await cachedUser(token.userID), !user.isDisabled
        else { return nil }
        let now = clock.now()
        // Last use is for the settings page; a minute's precision spares a write per request.
        if token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try await accounts.touchToken(id: token.id, at: now)
            var touched = token
            touched.lastUsedAt = now
            tokenCache.store(touched, for: hash)
        }
        return Identity(user: user, credential: .apiToken(id: token.id))
    }

    // MARK: - Helpers

    private func cachedUser(_ id: UserID) async throws -> User? {
        try await userCache.value(for: id) { try await accounts.user(id) }
    }

    private func save(_ user: User) async throws {
        try await accounts.update(user)
        userCache.remove(user.id)
        await broadcast?.publish(.account(user.id))
    }

    static func digest(_ text: some StringProtocol) -> String {
        SHA256.hash(data: Data(text.utf8)).hexEncoded
    }

    /// 256 random bits, base64url.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode(Data((0..<32).map { _ in generator.next() as UInt8 }))
    }
}

extension AccountService: CacheInvalidating {
    /// Another instance changed an account or revoked a token.
    public func invalidate(_ change: CachedChange) {
        switch change {
        case .account(let id): userCache.remove(id)
        case .tokens: tokenCache.removeAll()
        case .everything:
            userCache.removeAll()
            tokenCache.removeAll()
        case .video: break
        }
    }
}
