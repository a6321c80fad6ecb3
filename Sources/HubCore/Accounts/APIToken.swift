import Foundation

/// A long-lived credential for scripts and the command line, sent as `Authorization: Bearer`.
/// The hub keeps only the SHA-256 of the secret: tokens are 256 random bits, so a fast hash is
/// enough (there is nothing to brute-force), and it lets every request find its token by index.
public struct APIToken: Sendable, Equatable, Identifiable {
    public var id: String
    public var userID: UserID
    /// What the owner called it ("laptop", "CI"); shown on the settings page.
    public var label: String
    /// Lowercase hex SHA-256 of the secret.
    public var secretHash: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(id: String, userID: UserID, label: String, secretHash: String, createdAt: Date, lastUsedAt: Date? = nil) {
        self.id = id
        self.userID = userID
        self.label = label
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// The prefix of every token secret, so a leaked one is recognisable (secret scanners, logs).
    public static let secretPrefix = "shub_"
    public static let labelLength = 1...64
}

/// A one-time link an admin hands to someone so they can make an account while sign-up is closed.
public struct Invitation: Sendable, Equatable {
    /// Lowercase hex SHA-256 of the code in the link; the code itself is shown once.
    public var codeHash: String
    public var role: Role
    public var createdBy: UserID
    public var expiresAt: Date

    public init(codeHash: String, role: Role, createdBy: UserID, expiresAt: Date) {
        self.codeHash = codeHash
        self.role = role
        self.createdBy = createdBy
        self.expiresAt = expiresAt
    }
}
