import Foundation
import HubCore

/// An account as the API shows it: never the password hash.
public struct UserResource: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: String
    public var disabled: Bool
    public var createdAt: Date

    public init(_ user: User) {
        id = user.id.rawValue
        name = user.name
        role = user.role.rawValue
        disabled = user.isDisabled
        createdAt = user.createdAt
    }
}

/// `GET /api/v1/users` (admins).
public struct UserListResource: Codable, Sendable, Equatable {
    public var items: [UserResource]

    public init(items: [UserResource]) { self.items = items }
}

/// `POST /api/v1/session`.
public struct Credentials: Codable, Sendable {
    public var name: String
    public var password: String

    public init(name: String, password: String) {
        self.name = name
        self.password = password
    }
}

/// `POST /api/v1/signup`: the first account, open sign-up, or an invitation's code.
public struct SignUpRequest: Codable, Sendable {
    public var name: String
    public var password: String
    public var invitation: String?

    public init(name: String, password: String, invitation: String? = nil) {
        self.name = name
        self.password = password
        self.invitation = invitation
    }
}

/// `POST /api/v1/session/password`.
public struct PasswordChange: Codable, Sendable {
    public var currentPassword: String
    public var newPassword: String

    public init(currentPassword: String, newPassword: String) {
        self.currentPassword = currentPassword
        self.newPassword = newPassword
    }
}

/// `POST /api/v1/tokens`.
public struct NewTokenRequest: Codable, Sendable {
    public var label: String

    public init(label: String) { self.label = label }
}

/// An API token as the API shows it: never its secret, except once, when just created.
public struct TokenResource: Codable, Sendable, Equatable {
    public var id: String
    public var label: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    /// Only when just created.
    public var token: String?

    public init(_ token: APIToken, secret: String? = nil) {
        id = token.id
        label = token.label
        createdAt = token.createdAt
        lastUsedAt = token.lastUsedAt
        self.token = secret
    }
}

/// `GET /api/v1/tokens`.
public struct TokenListResource: Codable, Sendable, Equatable {
    public var items: [TokenResource]

    public init(items: [TokenResource]) { self.items = items }
}

/// `PATCH /api/v1/users/{id}` (admins).
public struct UserChanges: Codable, Sendable {
    public var disabled: Bool?

    public init(disabled: Bool?) { self.disabled = disabled }
}

/// `POST /api/v1/invitations` (admins).
public struct NewInvitationRequest: Codable, Sendable {
    public var role: Role?

    public init(role: Role?) { self.role = role }
}

/// A one-time invitation link, shown once.
public struct InvitationResource: Codable, Sendable, Equatable {
    public var code: String
    public var url: String
    public var role: String

    public init(code: String, url: String, role: String) {
        self.code = code
        self.url = url
        self.role = role
    }
}

/// `GET` and `PUT /api/v1/settings/signup` (admins).
public struct SignupSetting: Codable, Sendable, Equatable {
    public var open: Bool

    public init(open: Bool) { self.open = open }
}

// MARK: - Schemas

extension AccountRules {
    /// A name as sign-up takes it: trimmed of spaces and lowercased before the rule applies.
    static let nameSchema = JSONSchema.string(
        "1 to 32 letters a-z, digits, '.', '_' or '-', starting with a letter or digit; kept lowercase.",
        pattern: "^[ \\t]*[A-Za-z0-9][A-Za-z0-9._-]{0,31}[ \\t]*$").example("ada")
    static let passwordSchema = JSONSchema.string(
        "8 to 256 characters.", minLength: passwordLength.lowerBound, maxLength: passwordLength.upperBound)
}

extension UserResource: DocumentedSchema {
    public static let schemaName = "User"
    public static let schema = JSONSchema.object([
        "id": .uuid(), "name": .string(), "role": .oneOf(Role.self), "disabled": .boolean(), "createdAt": .dateTime(),
    ])
}

extension UserListResource: DocumentedSchema {
    public static let schemaName = "UserList"
    public static let schema = JSONSchema.object(["items": .array(.ref(UserResource.self))])
}

extension Credentials: DocumentedSchema {
    public static let schema = JSONSchema.object(open: true, ["name": .string(), "password": .string()])
}

extension SignUpRequest: DocumentedSchema {
    public static let schema = JSONSchema.object(
        open: true,
        [
            "name": AccountRules.nameSchema, "password": AccountRules.passwordSchema,
            "invitation": .string("An invitation's code, when sign-up is not open.").optional,
        ])
}

extension PasswordChange: DocumentedSchema {
    public static let schema = JSONSchema.object(open: true, ["currentPassword": .string(), "newPassword": AccountRules.passwordSchema])
}

extension NewTokenRequest: DocumentedSchema {
    public static let schema = JSONSchema.object(
        open: true, ["label": .string("What the token is for (\"laptop\", \"CI\").", minLength: 1, maxLength: APIToken.labelLength.upperBound)])
}

extension TokenResource: DocumentedSchema {
    public static let schemaName = "Token"
    public static let schema = JSONSchema.object([
        "id": .string(), "label": .string(), "createdAt": .dateTime(), "lastUsedAt": .dateTime().optional,
        "token": .string("The secret: only in the answer that created it.").optional,
    ])
}

extension TokenListResource: DocumentedSchema {
    public static let schemaName = "TokenList"
    public static let schema = JSONSchema.object(["items": .array(.ref(TokenResource.self))])
}

extension UserChanges: DocumentedSchema {
    public static let schema = JSONSchema.object(open: true, ["disabled": .boolean()])
}

extension NewInvitationRequest: DocumentedSchema {
    public static let schema = JSONSchema.object(open: true, ["role": .oneOf(Role.self, "The new account's role; `member` when left out.").optional])
}

extension InvitationResource: DocumentedSchema {
    public static let schemaName = "Invitation"
    public static let schema = JSONSchema.object(["code": .string(), "url": .string("The sign-up page with the code."), "role": .oneOf(Role.self)])
}

extension SignupSetting: DocumentedSchema {
    public static let schema = JSONSchema.object(open: true, ["open": .boolean("Anyone may make an account.")])
}
