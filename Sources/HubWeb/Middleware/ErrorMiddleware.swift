import Foundation
import HTTPTypes
import HubCore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Maps every error a route throws to the hub's JSON error body
/// `{"error": {"code", "message"}}` with the right status — the one place where domain errors
/// become HTTP. Anything unexpected is logged with the request id and answered with a 500 that
/// reveals nothing internal.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where the 5xx answers go for the operations page; nil on the peer listener.
    var recent: RecentErrors?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, context: context, recent: recent)
        }
    }

    static func response(for error: any Error, request: Request, context: some RequestContext, recent: RecentErrors? = nil) -> Response {
        if error is SignInRedirect {
            var query = URLComponents()
            query.queryItems = [URLQueryItem(name: "next", value: request.uri.description)]
            return .redirect(to: "/login" + (query.string ?? ""), type: .normal)
        }
        let apiError = APIError(error)
        if apiError.status.code >= 500 {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            recent?.record(
                requestID: context.id, method: request.method.rawValue, path: String(request.uri.path.prefix(200)), status: apiError.status.code,
                error: String("\(error)".prefix(300)))
        }
        return apiError.response(requestID: context.id)
    }
}
