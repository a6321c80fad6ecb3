import Foundation
import HubCore
import Logging
import PostgresNIO

/// `AccountRepository` on PostgreSQL: `hub_user` (`user` is reserved), `api_token`,
/// `invitation`, and the sign-up setting in `hub_setting`.
public struct PostgresAccountRepository: AccountRepository {
    let client: PostgresPool
    let logger: Logger

    static let userColumns = "id, name, role, password_hash, is_disabled, session_generation, created_at"
    static let tokenColumns = "id, user_id, label, secret_hash, created_at, last_used_at"

    public func insert(_ user: User, asFirstAccount: Bool) async throws -> Bool {
        do {
            return try await client.transaction(logger: logger) { connection in
                if asFirstAccount {
                    // Taken by every instance's first sign-up alike: two at once on two
                    // instances cannot both see no account and both become admin.
                    try await connection.execute("LOCK TABLE hub_user IN SHARE ROW EXCLUSIVE MODE", logger: logger)
                    guard try await connection.scalar("SELECT COUNT(*) FROM hub_user", as: Int.self, logger: logger) == 0 else {
                        return false
                    }
                    // Videos from before accounts existed become the first admin's.
                    try await connection.execute("UPDATE video SET owner_id = \(user.id.rawValue) WHERE owner_id IS NULL", logger: logger)
                }
                try await connection.execute(
                    """
                    INSERT INTO hub_user (id, name, role, password_hash, is_disabled, session_generation, created_at)
                    VALUES (
                        \(user.id.rawValue), \(user.name), \(user.role.rawValue), \(user.passwordHash), \(user.isDisabled),
                        \(user.sessionGeneration), \(user.createdAt))
                    """, logger: logger)
                return true
            }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw AccountError.nameTaken(user.name)
        }
    }

    public func user(_ id: UserID) async throws -> User? {
        try await client.rows("SELECT \(unescaped: Self.userColumns) FROM hub_user WHERE id = \(id.rawValue)", logger: logger)
            .first.map(Self.user)
    }

    public func user(named name: String) async throws -> User? {
        try await client.rows("SELECT \(unescaped: Self.userColumns) FROM hub_user WHERE name = \(name)", logger: logger)
            .first.map(Self.user)
    }

    public func users() async throws -> [User] {
        try await client.rows("SELECT \(unescaped: Self.userColumns) FROM hub_user ORDER BY name", logger: logger).map(Self.user)
    }

    public func userCount() async throws -> Int {
        try await client.scalar("SELECT COUNT(*) FROM hub_user", as: Int.self, logger: logger) ?? 0
    }

    public func update(_ user: User) async throws {
        try await client.execute(
            """
            UPDATE hub_user SET name = \(user.name), role = \(user.role.rawValue), password_hash = \(user.passwordHash),
                is_disabled = \(user.isDisabled), session_generation = \(user.sessionGeneration)
            WHERE id = \(user.id.rawValue)
            """, logger: logger)
    }

    public func delete(_ id: UserID) async throws -> Bool {
        try await client.transaction(logger: logger) { connection in
            try await connection.execute("UPDATE video SET owner_id = NULL WHERE owner_id = \(id.rawValue)", logger: logger)
            return try await !connection.rows("DELETE FROM hub_user WHERE id = \(id.rawValue) RETURNING id", logger: logger).isEmpty
        }
    }

    public func insert(_ token: APIToken) async throws {
        try await client.execute(
            """
            INSERT INTO api_token (id, user_id, label, secret_hash, created_at, last_used_at)
            VALUES (\(token.id), \(token.userID.rawValue), \(token.label), \(token.secretHash), \(token.createdAt), \(token.lastUsedAt))
            """, logger: logger)
    }

    public func token(secretHash: String) async throws -> APIToken? {
        try await client.rows("SELECT \(unescaped: Self.tokenColumns) FROM api_token WHERE secret_hash = \(secretHash)", logger: logger)
            .first.map(Self.token)
    }

    public func tokens(of user: UserID) async throws -> [APIToken] {
        try await client.rows(
            "SELECT \(unescaped: Self.tokenColumns) FROM api_token WHERE user_id = \(user.rawValue) ORDER BY created_at DESC, id",
            logger: logger
        ).map(Self.token)
    }

    public func deleteToken(id: String, of user: UserID?) async throws -> Bool {
        try await !client.rows(
            "DELETE FROM api_token WHERE id = \(id) AND (\(user?.rawValue)::text IS NULL OR user_id = \(user?.rawValue)) RETURNING id",
            logger: logger
        ).isEmpty
    }

    public func deleteToken(secretHash: String) async throws -> Bool {
        try await !client.rows("DELETE FROM api_token WHERE secret_hash = \(secretHash) RETURNING id", logger: logger).isEmpty
    }

    public func touchToken(id: String, at date: Date) async throws {
        try await client.execute("UPDATE api_token SET last_used_at = \(date) WHERE id = \(id)", logger: logger)
    }

    public func insert(_ invitation: Invitation) async throws {
        try await client.execute(
            """
            INSERT INTO invitation (code_hash, role, created_by, expires_at)
            VALUES (\(invitation.codeHash), \(invitation.role.rawValue), \(invitation.createdBy.rawValue), \(invitation.expiresAt))
            """, logger: logger)
    }

    public func redeemInvitation(codeHash: String, at date: Date) async throws -> Invitation? {
        try await client.transaction(logger: logger) { connection in
            // DELETE … RETURNING hands a code to one redeemer only, whichever instance asks.
            let rows = try await connection.rows(
                "DELETE FROM invitation WHERE code_hash = \(codeHash) RETURNING role, created_by, expires_at", logger: logger)
            try await connection.execute("DELETE FROM invitation WHERE expires_at <= \(date)", logger: logger)
            guard let row = rows.first else { return nil }
            let expiresAt: Date = try row.value("expires_at")
            guard expiresAt > date, let role = Role(rawValue: try row.value("role")), let creator = UserID(try row.value("created_by")) else {
                return nil
            }
            return Invitation(codeHash: codeHash, role: role, createdBy: creator, expiresAt: expiresAt)
        }
    }

    public func isSignupOpen() async throws -> Bool {
        try await client.scalar("SELECT value FROM hub_setting WHERE name = 'signupOpen'", as: String.self, logger: logger) == "true"
    }

    public func setSignupOpen(_ open: Bool) async throws {
        try await client.execute(
            """
            INSERT INTO hub_setting (name, value) VALUES ('signupOpen', \(open ? "true" : "false"))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """, logger: logger)
    }

    static func user(_ row: PostgresRandomAccessRow) throws -> User {
        User(
            id: try UserID(row.value("id", as: String.self)).orThrow(column: "hub_user.id"), name: try row.value("name"),
            role: try Role(rawValue: row.value("role", as: String.self)).orThrow(column: "hub_user.role"),
            passwordHash: try row.value("password_hash"), isDisabled: try row.value("is_disabled"),
            sessionGeneration: try row.value("session_generation"), createdAt: try row.value("created_at"))
    }

    static func token(_ row: PostgresRandomAccessRow) throws -> APIToken {
        APIToken(
            id: try row.value("id"), userID: try UserID(row.value("user_id", as: String.self)).orThrow(column: "api_token.user_id"),
            label: try row.value("label"), secretHash: try row.value("secret_hash"), createdAt: try row.value("created_at"),
            lastUsedAt: try row.value("last_used_at"))
    }
}
