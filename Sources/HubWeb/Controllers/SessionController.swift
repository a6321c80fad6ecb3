import Foundation
import HubAccounts
import HubAPI
import HubCore
import Hummingbird

/// Signing up, in and out, and the signed-in user's own account: `/api/v1/session`,
/// `/api/v1/signup`, `/api/v1/me`. The sign-in and sign-up pages post here from their script.
struct SessionController: Sendable {
    let accounts: AccountService
    let trustProxy: Bool

    func addRoutes(public api: RouterGroup<HubRequestContext>, signedIn: RouterGroup<SignedInContext>) {
        api.post("session", use: signIn)
        api.post("signup", use: signUp)
        signedIn.delete("session", use: signOut)
        signedIn.get("me", use: me)
        signedIn.post("me/password", use: changePassword)
    }

    @Sendable func signIn(_ request: Request, context: HubRequestContext) async throws -> Response {
        let credentials = try await request.decode(as: Credentials.self, context: context)
        let (user, session) = try await accounts.signIn(name: credentials.name, password: credentials.password, address: context.clientAddress)
        return try signedIn(user, session: session, request: request, context: context, status: .ok)
    }

    @Sendable func signUp(_ request: Request, context: HubRequestContext) async throws -> Response {
        let form = try await request.decode(as: SignUpRequest.self, context: context)
        let user = try await accounts.signUp(name: form.name, password: form.password, invitationCode: form.invitation)
        return try signedIn(user, session: accounts.session(for: user), request: request, context: context, status: .created)
    }

    @Sendable func signOut(_ request: Request, context: SignedInContext) async throws -> Response {
        try await accounts.signOut(context.user)
        var response = Response(status: .noContent)
        response.setCookie(SessionCookieJar.expired(for: request, trustProxy: trustProxy))
        return response
    }

    @Sendable func me(_ request: Request, context: SignedInContext) async throws -> UserResource {
        UserResource(context.user)
    }

    @Sendable func changePassword(_ request: Request, context: SignedInContext) async throws -> Response {
        let change = try await request.decode(as: PasswordChange.self, context: context)
        let session = try await accounts.changePassword(of: context.user, current: change.currentPassword, new: change.newPassword)
        var response = Response(status: .noContent)
        // A browser that changed its password stays signed in; every other session ends.
        if case .session = context.identity.credential {
            response.setCookie(SessionCookieJar.cookie(session, secret: accounts.secret, for: request, trustProxy: trustProxy))
        }
        return response
    }

    private func signedIn(_ user: User, session: SessionCookie, request: Request, context: HubRequestContext, status: HTTPResponse.Status) throws -> Response {
        var response = try UserResource(user).response(from: request, context: context)
        response.status = status
        response.setCookie(SessionCookieJar.cookie(session, secret: accounts.secret, for: request, trustProxy: trustProxy))
        return response
    }
}

