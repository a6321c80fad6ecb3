import Foundation
import HTTPTypes
import HubAccounts
import HubCore
import Hummingbird

/// The account pages: sign-in and sign-up (open to anyone), the user's settings (password, API
/// tokens) and the admin's user list. Their forms post JSON to the API through hub.js.
struct AccountPageController: Sendable {
    let accounts: AccountService
    let renderer: PageRenderer

    func addRoutes(public router: Router<HubRequestContext>, signedIn: RouterGroup<SignedInPageContext>) {
        router.get("login", use: signIn)
        router.get("signup", use: signUp)
        signedIn.get("settings", use: settings)
        signedIn.get("admin/users", use: users)
    }

    @Sendable func signIn(_ request: Request, context: HubRequestContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        if context.identity != nil { return .redirect(to: next, type: .found) }
        if try await accounts.needsFirstAccount() { return .redirect(to: "/signup", type: .found) }
        return renderer.page(SignInPage(next: next, signupOpen: try await accounts.isSignupOpen()), for: nil)
    }

    @Sendable func signUp(_ request: Request, context: HubRequestContext) async throws -> Response {
        let first = try await accounts.needsFirstAccount()
        let invitation = request.uri.queryParameters["invitation"].map(String.init) ?? ""
        let open = try await accounts.isSignupOpen()
        let view = SignUpPage(
            pageTitle: first ? "Create the admin account" : "Sign up", firstAccount: first, invitation: invitation,
            allowed: first || !invitation.isEmpty || open)
        return renderer.page(view, for: context.identity)
    }

    @Sendable func settings(_ request: Request, context: SignedInPageContext) async throws -> Response {
        let tokens = try await accounts.tokens(of: context.user).map { token in
            SettingsPage.Token(
                id: token.id, label: token.label, createdAt: Self.date(token.createdAt), lastUsedAt: token.lastUsedAt.map(Self.date) ?? "never")
        }
        return renderer.page(SettingsPage(role: context.user.role.rawValue, tokens: tokens), for: context.identity)
    }

    @Sendable func users(_ request: Request, context: SignedInPageContext) async throws -> Response {
        guard context.user.isAdmin else {
            return renderer.page(
                ErrorPage(pageTitle: "Admins only", heading: "Admins only", message: "Only an admin can manage accounts."),
                for: context.identity, status: .forbidden)
        }
        let users = try await accounts.users().map { user in
            UsersPage.Account(
                id: user.id.rawValue, name: user.name, role: user.role.rawValue, disabled: user.isDisabled, createdAt: Self.date(user.createdAt),
                isSelf: user.id == context.user.id)
        }
        return renderer.page(UsersPage(users: users, signupOpen: try await accounts.isSignupOpen()), for: context.identity)
    }

    /// Only a path on this site; anything else (`//evil.example`, `https://…`) becomes `/`.
    /// Browsers drop tabs and newlines from URLs and read `\\` as `/`, so `/\t/evil.example`
    /// would leave the site: any control character or backslash, raw or percent-encoded, is
    /// refused, and what remains must parse as a path with neither scheme nor authority.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), next.utf8.count <= 2_048 else { return "/" }
        let decoded = next.removingPercentEncoding ?? ""
        for text in [next, decoded] {
            guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\\" }) else { return "/" }
        }
        guard !decoded.hasPrefix("//"), let components = URLComponents(string: next), components.scheme == nil, components.host == nil
        else { return "/" }
        return next
    }

    private static func date(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day())
    }
}
