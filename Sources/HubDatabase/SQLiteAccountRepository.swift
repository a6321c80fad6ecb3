import Foundation
import GRDB
import HubCore

/// `AccountRepository` on the hub's SQLite database.
public struct SQLiteAccountRepository: AccountRepository {
    let writer: any DatabaseWriter

    public func insert(_ user: User, asFirstAccount: Bool) async throws -> Bool {
        do {
            return try await writer.write { db in
                if asFirstAccount {
                    guard try UserRow.fetchCount(db) == 0 else { return false }
                    // Videos from before accounts existed become the first admin's.
                    try db.execute(sql: "UPDATE video SET ownerID = ? WHERE ownerID IS NULL", arguments: [user.id.rawValue])
                }
                try UserRow(user).insert(db)
                return true
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw AccountError.nameTaken(user.name)
        }
    }

    public func user(_ id: UserID) async throws -> User? {
        try await writer.read { db in try UserRow.fetchOne(db, key: id.rawValue)?.user }
    }

    public func user(named name: String) async throws -> User? {
        try await writer.read { db in try UserRow.filter(Column("name") == name).fetchOne(db)?.user }
    }

    public func users() async throws -> [User] {
        try await writer.read { db in try UserRow.order(Column("name")).fetchAll(db).compactMap(\.user) }
    }

    public func userCount() async throws -> Int {
        try await writer.read { db in try UserRow.fetchCount(db) }
    }

    public func update(_ user: User) async throws {
        try await writer.write { db in try UserRow(user).update(db) }
    }

    public func delete(_ id: UserID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE video SET ownerID = NULL WHERE ownerID = ?", arguments: [id.rawValue])
            return try UserRow.deleteOne(db, key: id.rawValue)
        }
    }

    public func insert(_ token: APIToken) async throws {
        try await writer.write { db in try TokenRow(token).insert(db) }
    }

    public func token(secretHash: String) async throws -> APIToken? {
        try await writer.read { db in try TokenRow.filter(Column("secretHash") == secretHash).fetchOne(db)?.token }
    }

    public func tokens(of user: UserID) async throws -> [APIToken] {
        try await writer.read { db in
            try TokenRow.filter(Column("userID") == user.rawValue).order(Column("createdAt").desc).fetchAll(db).compactMap(\.token)
        }
    }

    public func deleteToken(id: String, of user: UserID?) async throws -> Bool {
        try await writer.write { db in
            var request = TokenRow.filter(key: id)
            if let user { request = request.filter(Column("userID") == user.rawValue) }
            return try request.deleteAll(db) > 0
        }
    }

    public func deleteToken(secretHash: String) async throws -> Bool {
        try await writer.write { db in try TokenRow.filter(Column("secretHash") == secretHash).deleteAll(db) > 0 }
    }

    public func touchToken(id: String, at date: Date) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE apiToken SET lastUsedAt = ? WHERE id = ?", arguments: [date, id])
        }
    }

    public func insert(_ invitation: Invitation) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO invitation (codeHash, role, createdBy, expiresAt) VALUES (?, ?, ?, ?)",
                arguments: [invitation.codeHash, invitation.role.rawValue, invitation.createdBy.rawValue, invitation.expiresAt])
        }
    }

    public func redeemInvitation(codeHash: String, at date: Date) async throws -> Invitation? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM invitation WHERE codeHash = ?", arguments: [codeHash]) else {
                return nil
            }
            try db.execute(sql: "DELETE FROM invitation WHERE codeHash = ? OR expiresAt <= ?", arguments: [codeHash, date])
            let expiresAt: Date = row["expiresAt"]
            guard expiresAt > date, let role = Role(rawValue: row["role"]), let creator = UserID(row["createdBy"]) else { return nil }
            return Invitation(codeHash: codeHash, role: role, createdBy: creator, expiresAt: expiresAt)
        }
    }

    public func isSignupOpen() async throws -> Bool {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM hubSetting WHERE name = 'signupOpen'") == "true"
        }
    }

    public func setSignupOpen(_ open: Bool) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO hubSetting (name, value) VALUES ('signupOpen', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                arguments: [open ? "true" : "false"])
        }
    }
}

struct UserRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "user"

    var id: String
    var name: String
    var role: String
    var passwordHash: String
    var isDisabled: Bool
    var sessionGeneration: Int
    var createdAt: Date

    init(_ user: User) {
        id = user.id.rawValue
        name = user.name
        role = user.role.rawValue
        passwordHash = user.passwordHash
        isDisabled = user.isDisabled
        sessionGeneration = user.sessionGeneration
        createdAt = user.createdAt
    }

    var user: User? {
        guard let id = UserID(id), let role = Role(rawValue: role) else { return nil }
        return User(
            id: id, name: name, role: role, passwordHash: passwordHash, isDisabled: isDisabled,
            sessionGeneration: sessionGeneration, createdAt: createdAt)
    }
}

struct TokenRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "apiToken"

    var id: String
    var userID: String
    var label: String
    var secretHash: String
    var createdAt: Date
    var lastUsedAt: Date?

    init(_ token: APIToken) {
        id = token.id
        userID = token.userID.rawValue
        label = token.label
        secretHash = token.secretHash
        createdAt = token.createdAt
        lastUsedAt = token.lastUsedAt
    }

    var token: APIToken? {
        guard let user = UserID(userID) else { return nil }
        return APIToken(id: id, userID: user, label: label, secretHash: secretHash, createdAt: createdAt, lastUsedAt: lastUsedAt)
    }
}
