import HTTPTypes
import Hummingbird

/// Answers 405 with `Allow` when a path has routes but none for the request's method, where
/// Hummingbird's router answers 404 (RFC 9110 §15.5.6: a client told "not found" for `PUT
/// /api/v1/videos/{id}` would conclude the video is gone).
///
/// Added to the router after every route, so it wraps only the responder of requests no route
/// matched, and it is handed the finished route list.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    private struct Pattern {
        /// Literal segments, or nil for a parameter.
        var segments: [Substring?]
        var methods: Set<HTTPRequest.Method>
    }

    private let patterns: [Pattern]

    init(routes: [Router<Context>.RouteDescription]) {
        var byPath: [String: Pattern] = [:]
        for route in routes {
            let path = route.path.description
            // Hummingbird writes a parameter as `{id}` (`:id` where it was declared).
            let segments = path.split(separator: "/").map { segment -> Substring? in
                segment.hasPrefix(":") || segment.hasPrefix("{") || segment == "*" ? nil : segment
            }
            byPath[path, default: Pattern(segments: segments, methods: [])].methods.insert(route.method)
        }
        patterns = Array(byPath.values)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path.split(separator: "/")
        // The router prefers a literal segment to a parameter, without backtracking; the most
        // literal pattern that matches is the one whose node the request reached.
        let reached = patterns.filter { pattern in
            pattern.segments.count == path.count && zip(pattern.segments, path).allSatisfy { $0 == nil || $0 == $1 }
        }.max { lhs, rhs in lhs.segments.map { $0 != nil }.lexicographicallyPrecedes(rhs.segments.map { $0 != nil }) { !$0 && $1 } }
        guard let reached, !reached.methods.contains(request.method) else { return try await next(request, context) }
        let allowed = reached.methods.map(\.rawValue).sorted().joined(separator: ", ")
        return APIError(
            status: .methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed here; use \(allowed)",
            headers: ["Allow": allowed]
        ).response(requestID: context.id)
    }
}
