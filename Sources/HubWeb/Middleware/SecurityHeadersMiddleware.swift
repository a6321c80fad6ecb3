import HTTPTypes
import Hummingbird

/// Headers that make the browser refuse what the hub never does: run inline or foreign script,
/// be framed by another site, or guess a response's type from its bytes (so an uploaded file
/// can never be reinterpreted as HTML). Added to every response, errors included.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = SecurityPolicy.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.referrerPolicy] = "same-origin"
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}

enum SecurityPolicy {
    /// `media-src blob:` lets the adaptive player hand `<video>` a MediaSource (the only blob
    /// URLs a page can make come from its own scripts, which `script-src 'self'` confines).
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}
