import Foundation
import HTTPTypes
import HubAccounts
import HubCore
import Hummingbird

/// Works out who sent a request — an `Authorization: Bearer` API token or the session cookie —
/// and guards state-changing requests against cross-site forgery, before any route runs.
///
/// A bad bearer token is refused outright (a script should hear that its token is wrong); a bad
/// cookie makes the request anonymous and is cleared, so a signed-out browser simply lands on
/// the sign-in page.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    let accounts: AccountService
    let trustProxy: Bool
    /// `METRICS_TOKEN`: a bearer token for `GET /metrics` alone, not an account's.
    var metricsToken: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if trustProxy, let forwarded = request.headers[.xForwardedFor]?.split(separator: ",").last {
            context.clientAddress = forwarded.trimmingCharacters(in: .whitespaces)
        }
        var clearCookie = false
        if let authorization = request.headers[.authorization], isMetricsToken(authorization, request) {
            context.readsMetrics = true
        } else if let authorization = request.headers[.authorization] {
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer ",
                let identity = try await accounts.identity(bearerToken: authorization.dropFirst(7))
            else {
                throw APIError(
                    status: 401, code: "invalid_token", message: "the API token is unknown or revoked",
                    headers: ["WWW-Authenticate": #"Bearer error="invalid_token""#])
            }
            context.identity = identity
        } else if let cookie = request.cookies[SessionCookie.name] {
            context.identity = try await accounts.identity(sessionCookie: Substring(cookie.value))
            clearCookie = context.identity == nil
        }
        if !Self.safeMethods.contains(request.method) { try checkForgery(request, context: context) }
        guard clearCookie else { return try await next(request, context) }
        // The request carried a cookie that no longer signs anyone in: clear it, whatever the
        // answer (usually a 401 or a redirect to the sign-in page).
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ErrorMiddleware<Context>.response(for: error, request: request, context: context)
        }
        if !response.headers.contains(.setCookie) {
            response.setCookie(SessionCookieJar.expired(for: request, trustProxy: trustProxy))
        }
        return response
    }

    private func isMetricsToken(_ authorization: String, _ request: Request) -> Bool {
        guard let metricsToken, request.uri.path == "/metrics", authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return false
        }
        return ConstantTime.equal(String(authorization.dropFirst(7)), metricsToken)
    }

    /// Browsers attach cookies to cross-site requests, so a state-changing request is accepted
    /// only from the hub's own pages: its `Origin` (sent by browsers on every cross-origin and
    /// every POST request) must be this host, and a cookie-authenticated one must also echo the
    /// session's CSRF token in `X-CSRF-Token`, which another site cannot read. Bearer tokens are
    /// never sent by a browser on its own, so they need neither.
    private func checkForgery(_ request: Request, context: Context) throws {
        if case .apiToken = context.identity?.credential { return }
        if let origin = request.headers[.origin],
            !Self.origin(origin, matches: expectedHost(request), scheme: SessionCookieJar.isTLS(request, trustProxy: trustProxy) ? "https" : "http")
        {
            throw APIError(status: 403, code: "cross_origin_request", message: "state-changing requests must come from the hub's own pages (Origin \(origin))")
        }
        if case .session(let csrfToken) = context.identity?.credential, request.headers[.csrfToken] != csrfToken {
            throw APIError(status: 403, code: "csrf_token_mismatch", message: "the request lacks the page's CSRF token (X-CSRF-Token); reload the page and try again")
        }
    }

    private func expectedHost(_ request: Request) -> String? {
        if trustProxy, let forwarded = request.headers[.xForwardedHost] { return forwarded }
        return request.head.authority
    }

    /// Scheme and host both: a page served over plain HTTP on the same host (another port, or
    /// a network attacker's injection) is not the hub's HTTPS origin.
    static func origin(_ origin: String, matches host: String?, scheme: String) -> Bool {
        guard let host else { return false }
        return origin.lowercased() == "\(scheme)://\(host.lowercased())"
    }

    static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]
}

/// The session cookie's attributes, in one place: HttpOnly (no script reads it), SameSite=Lax
/// (not sent on cross-site subrequests or POSTs), Secure whenever the browser reached us over TLS.
enum SessionCookieJar {
    static func cookie(_ session: SessionCookie, secret: HubSecret, for request: Request, trustProxy: Bool) -> Cookie {
        Cookie(
            name: SessionCookie.name, value: session.encoded(with: secret), expires: session.expiresAt, path: "/",
            secure: isTLS(request, trustProxy: trustProxy), httpOnly: true, sameSite: .lax)
    }

    static func expired(for request: Request, trustProxy: Bool) -> Cookie {
        Cookie(name: SessionCookie.name, value: "", maxAge: 0, path: "/", secure: isTLS(request, trustProxy: trustProxy), httpOnly: true, sameSite: .lax)
    }

    static func isTLS(_ request: Request, trustProxy: Bool) -> Bool {
        request.uri.scheme == .https || (trustProxy && request.headers[.xForwardedProto]?.lowercased() == "https")
    }
}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedHost = Self("X-Forwarded-Host")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
}
