import HubCore
import Hummingbird
import Logging

/// tus requires `Tus-Resumable` on every response of the upload endpoint, errors included, so
/// errors are turned into responses here (with the same mapping as `ErrorMiddleware`) rather
/// than left for the outer middleware, which would not know to add the header.
struct TusResumableMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let apiError = APIError(error)
            if apiError.status.code >= 500 { context.logger.error("upload request failed", metadata: ["error": "\(error)"]) }
            response = apiError.response(requestID: context.id)
        }
        response.headers[.tusResumable] = TusProtocol.version
        return response
    }
}
