/// `/login`.
struct SignInPage: PageView {
    static let template = "login"
    var pageTitle = "Sign in"
    var next: String
    var signupOpen: Bool
}

/// `/signup`: the first account, open sign-up, or an invitation.
struct SignUpPage: PageView {
    static let template = "signup"
    var pageTitle: String
    var firstAccount: Bool
    var invitation: String
    var allowed: Bool
}

/// `/settings`: the password form and the account's API tokens.
struct SettingsPage: PageView {
    static let template = "settings"

    struct Token: Sendable {
        var id: String
        var label: String
        var createdAt: String
        var lastUsedAt: String
    }

    var pageTitle = "Your account"
    var role: String
    var tokens: [Token]
}

/// `/admin/users`.
struct UsersPage: PageView {
    static let template = "users"

    struct Account: Sendable {
        var id: String
        var name: String
        var role: String
        var disabled: Bool
        var createdAt: String
        var isSelf: Bool
    }

    var pageTitle = "Users"
    var users: [Account]
    var signupOpen: Bool
}
