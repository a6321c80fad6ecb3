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
