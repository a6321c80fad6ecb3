import Foundation

/// Identifies an account. Random, like `VideoID`, so ids reveal nothing and survive renames.
public struct UserID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init() { self.rawValue = UUID().uuidString.lowercased() }

    /// Accepts only the canonical lowercase UUID form.
    public init?(_ rawValue: String) {
        guard rawValue.count == 36, let uuid = UUID(uuidString: rawValue), uuid.uuidString.lowercased() == rawValue else {
            return nil
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

public enum Role: String, Sendable, Codable, CaseIterable {
    /// Sees and manages everything, including other accounts.
    case admin
    /// Sees their own items and what others share.
    case member
}

/// An account. The password is only ever held as a bcrypt hash.
public struct User: Sendable, Equatable, Identifiable {
    public var id: UserID
    /// Unique, lowercase; shown in the UI and, across peers, as `name@node`.
    public var name: String
    public var role: Role
    public var passwordHash: String
    /// A disabled account cannot sign in, and its sessions and tokens stop working.
    public var isDisabled: Bool
    /// Part of every session cookie; bumping it (logout, password change) invalidates every
    /// session issued before, without a session store.
    public var sessionGeneration: Int
    public var createdAt: Date

    public init(
        id: UserID = UserID(), name: String, role: Role, passwordHash: String, isDisabled: Bool = false,
        sessionGeneration: Int = 0, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.isDisabled = isDisabled
        self.sessionGeneration = sessionGeneration
        self.createdAt = createdAt
    }

    public var isAdmin: Bool { role == .admin }
}

/// The rules for names and passwords, shared by the web form, the API and the command line.
public enum AccountRules {
    public static let nameLength = 1...32
    /// In characters (Unicode scalars), as the API contract states it. bcrypt reads at most 72
    /// bytes, so `PasswordHasher` digests a longer password first rather than cut it.
    public static let passwordLength = 8...256

    /// The canonical (lowercase) form of an acceptable user name, or an error saying why not.
    public static func canonicalName(_ raw: String) throws(InvalidInput) -> String {
        let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)
        }
        guard nameLength.contains(name.count), allowed, let first = name.first, first.isLetter || first.isNumber else {
            throw InvalidInput(
                "a user name is 1 to 32 letters a-z, digits, '.', '_' or '-', starting with a letter or digit",
                code: "invalid_name")
        }
        return name
    }

    public static func checkPassword(_ password: String) throws(InvalidInput) {
        guard passwordLength.contains(password.unicodeScalars.count) else {
            throw InvalidInput("a password is 8 to 256 characters long", code: "invalid_password")
        }
    }
}
