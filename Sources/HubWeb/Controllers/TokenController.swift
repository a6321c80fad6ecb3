import Foundation
import HubAccounts
import HubCore
import Hummingbird

/// The signed-in user's API tokens: `/api/v1/tokens` (list, create) and `/api/v1/tokens/{id}`
/// (revoke). The secret is in the creation response only.
struct TokenController: Sendable {
    let accounts: AccountService

    struct NewToken: Decodable {
        var label: String
    }

    struct TokenResource: ResponseEncodable {
        var id: String
        var label: String
        var createdAt: Date
        var lastUsedAt: Date?
        /// Only when just created.
        var token: String?

        init(_ token: APIToken, secret: String? = nil) {
            id = token.id
            label = token.label
            createdAt = token.createdAt
            lastUsedAt = token.lastUsedAt
            self.token = secret
        }
    }

    struct TokenList: ResponseEncodable {
        var items: [TokenResource]
    }

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("tokens", use: list)
        group.post("tokens", use: create)
        group.delete("tokens/:id", use: revoke)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> TokenList {
        TokenList(items: try await accounts.tokens(of: context.user).map { TokenResource($0) })
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let form = try await request.decode(as: NewToken.self, context: context)
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
