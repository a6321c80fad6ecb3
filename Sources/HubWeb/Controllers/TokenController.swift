import Foundation
import HubAccounts
import HubAPI
import HubCore
import Hummingbird

/// The signed-in user's API tokens: `/api/v1/tokens` (list, create) and `/api/v1/tokens/{id}`
/// (revoke). The secret is in the creation response only.
struct TokenController: Sendable {
    let accounts: AccountService

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("tokens", use: list)
        group.post("tokens", use: create)
        group.delete("tokens/:id", use: revoke)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> TokenListResource {
        TokenListResource(items: try await accounts.tokens(of: context.user).map { TokenResource($0) })
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.decode(as: NewTokenRequest.self, context: context)
        let (token, secret) = try await accounts.createToken(for: context.user, label: form.label)
        var response = try TokenResource(token, secret: secret).response(from: request, context: context)
        response.status = .created
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func revoke(_ request: Request, context: SignedInContext) async throws -> Response {
        try await accounts.revokeToken(id: try context.parameters.require("id"), by: context.user)
        return Response(status: .noContent)
    }
}
