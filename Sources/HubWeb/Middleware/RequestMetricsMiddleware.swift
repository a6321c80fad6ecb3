import HubCore
import Hummingbird

/// Times every request, its body included, into `streamhub_http_request_duration_seconds` by
/// route pattern (`/api/v1/videos/{id}`, never the id), method and status. It sits outside the
/// error middleware, so a thrown error is counted with the status its JSON answer went out with.
///
/// Hummingbird's own `MetricsMiddleware` records through the process-wide `MetricsSystem`;
/// this one records into the hub's registry, and bounds every label: a path that matched no
/// route is `unmatched`, a method outside HTTP's registered few is `other`.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HubMetrics

    static var name: String { "streamhub_http_request_duration_seconds" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = Self.label(request.method)
        do {
            var response = try await next(request, context)
            let status = response.status.code
            let body = response.body
            // Recorded once the body is written (or its writing failed): a stream's time is its
            // transfer's.
            response.body = ResponseBody(contentLength: body.contentLength) { [metrics] writer in
                defer { metrics.durations(Self.name, Self.labels(context, method, status)).record(ContinuousClock.now - start) }
                try await body.write(writer)
            }
            return response
        } catch {
            // Only what the error middleware could not answer (it answers everything it is given).
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.durations(Self.name, Self.labels(context, method, status)).record(ContinuousClock.now - start)
            throw error
        }
    }

    private static func labels(_ context: Context, _ method: String, _ status: Int) -> [(String, String)] {
        // Hummingbird names the path of a request no route matched "NotFound"; patterns start with "/".
        let route = context.endpointPath.flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "unmatched"
        return [("route", route), ("method", method), ("status", String(status))]
    }

    private static func label(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options, .connect, .trace: method.rawValue
        default: "other"
        }
    }
}
