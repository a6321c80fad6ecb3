import Foundation

/// Where accounts, API tokens, invitations and hub-wide account settings live (SQLite now,
/// PostgreSQL later). Kept as one protocol because they change together: deleting a user removes
/// their tokens, and creating the first account must see every other account in one transaction.
public protocol AccountRepository: Sendable {
    /// Inserts `user`; with `asFirstAccount`, only when there is no account yet (returns false
    /// otherwise), atomically, so two simultaneous first sign-ups cannot both become admin.
    /// Throws `AccountError.nameTaken` when the name is taken.
    func insert(_ user: User, asFirstAccount: Bool) async throws -> Bool
    func user(_ id: UserID) async throws -> User?
    func user(named name: String) async throws -> User?
    func users() async throws -> [User]
    func userCount() async throws -> Int
    /// Saves role, password hash, disabled flag and session generation.
    func update(_ user: User) async throws
    /// Deletes the account and its tokens; the user's videos stay, owned by nobody (admins see them).
    func delete(_ id: UserID) async throws -> Bool

    func insert(_ token: APIToken) async throws
    func token(secretHash: String) async throws -> APIToken?
    func tokens(of user: UserID) async throws -> [APIToken]
    /// Deletes the token when it belongs to `user` (any user when nil); true when one was deleted.
    func deleteToken(id: String, of user: UserID?) async throws -> Bool
    func deleteToken(secretHash: String) async throws -> Bool
    func touchToken(id: String, at date: Date) async throws

    func insert(_ invitation: Invitation) async throws
    /// Removes and returns a live invitation: each code works once.
    func redeemInvitation(codeHash: String, at date: Date) async throws -> Invitation?

    func isSignupOpen() async throws -> Bool
    func setSignupOpen(_ open: Bool) async throws
}

/// Failed sign-ins, by key (an account name or a client address), where every instance sharing
/// the database counts them, so a password guessed through several instances is throttled as
/// through one.
public protocol SignInFailureLog: Sendable {
    /// Records one failure for each key, and forgets failures older than `forgetBefore`.
    func record(_ keys: [String], at date: Date, forgetBefore: Date) async throws
    /// How many failures `key` has had since `since`, and when the oldest of them was.
    func failures(of key: String, since: Date) async throws -> (count: Int, oldest: Date?)
    func clear(_ key: String) async throws
}
