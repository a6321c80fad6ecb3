import Foundation
import HubAccounts
import HubAPI
import HubCore
import Hummingbird

/// What only admins do: list, disable, re-enable and delete accounts, invite people, and open
/// or close sign-up. Under `/api/v1/users`, `/api/v1/invitations` and `/api/v1/settings/signup`.
struct UserAdminController: Sendable {
    let accounts: AccountService

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("users", use: list)
        group.patch("users/:id", use: update)
        group.delete("users/:id", use: delete)
        group.post("invitations", use: invite)
        group.get("settings/signup", use: signup)
        group.put("settings/signup", use: setSignup)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> UserListResource {
        try Self.requireAdmin(context)
        return UserListResource(items: try await accounts.users().map(UserResource.init))
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> UserResource {
        try Self.requireAdmin(context)
        let changes = try await request.decode(as: UserChanges.self, context: context)
        let id = try Self.userID(context)
        guard let disabled = changes.disabled else { throw APIError.badRequest("nothing to change; send {\"disabled\": true|false}", code: "bad_request") }
        return UserResource(try await accounts.setDisabled(id, disabled, by: context.user))
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        try Self.requireAdmin(context)
        try await accounts.deleteUser(try Self.userID(context), by: context.user)
        return Response(status: .noContent)
    }

    @Sendable func invite(_ request: Request, context: SignedInContext) async throws -> Response {
        try Self.requireAdmin(context)
        let form = try await request.decode(as: NewInvitationRequest.self, context: context)
        let role = form.role ?? .member
        let code = try await accounts.invite(by: context.user, role: role)
        var response = try InvitationResource(code: code, url: "/signup?invitation=\(code)", role: role.rawValue).response(from: request, context: context)
        response.status = .created
        return response
    }

    @Sendable func signup(_ request: Request, context: SignedInContext) async throws -> SignupSetting {
        try Self.requireAdmin(context)
        return SignupSetting(open: try await accounts.isSignupOpen())
    }

    @Sendable func setSignup(_ request: Request, context: SignedInContext) async throws -> SignupSetting {
        try Self.requireAdmin(context)
        let setting = try await request.decode(as: SignupSetting.self, context: context)
        try await accounts.setSignupOpen(setting.open)
        return setting
    }

    static func requireAdmin(_ context: SignedInContext) throws {
        guard context.user.isAdmin else { throw APIError(status: 403, code: "admin_only", message: "only an admin can do this") }
    }

    private static func userID(_ context: SignedInContext) throws -> UserID {
        guard let id = UserID(try context.parameters.require("id")) else { throw APIError.notFound("user") }
        return id
    }
}
