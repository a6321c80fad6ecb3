import HubCore
import Hummingbird
import Logging
import NIOCore

/// The per-request context every route starts with. `AuthenticationMiddleware` fills in
/// `identity`; routes that need an account use `SignedInContext` (API) or `SignedInPageContext`
/// (pages), which cannot exist without one.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who sent the request, when they proved it (session cookie or API token).
    public var identity: Identity?
    /// The request carried `METRICS_TOKEN` to `GET /metrics`: a scraper, no account.
    public var readsMetrics = false
    /// The peer's address on the socket; behind a trusted proxy the middleware replaces it
    /// with the client's.
    public var clientAddress: String

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Bodies are streamed by the upload routes; anything a route collects whole (JSON) is small.
    public var maxUploadSize: Int { 1 << 20 }
    public var requestDecoder: JSONBodyDecoder { JSONBodyDecoder() }
}

/// The context of API routes that need an account: anonymous requests get 401 with the JSON
/// error body before any handler runs.
public struct SignedInContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let identity: Identity

    public init(context: HubRequestContext) throws {
        guard let identity = context.identity else {
            throw APIError(status: 401, code: "sign_in_required", message: "sign in, or send an API token as 'Authorization: Bearer'")
        }
        self.coreContext = context.coreContext
        self.identity = identity
    }

    public var user: User { identity.user }
    public var maxUploadSize: Int { 1 << 20 }
    public var requestDecoder: JSONBodyDecoder { JSONBodyDecoder() }
}

/// The context of web pages that need an account: anonymous visitors are sent to the sign-in
/// page, which brings them back afterwards.
public struct SignedInPageContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let identity: Identity

    public init(context: HubRequestContext) throws {
        guard let identity = context.identity else { throw SignInRedirect() }
        self.coreContext = context.coreContext
        self.identity = identity
    }

    public var user: User { identity.user }
    public var maxUploadSize: Int { 1 << 20 }
    public var requestDecoder: JSONBodyDecoder { JSONBodyDecoder() }
}

/// Thrown for a page that needs an account; `ErrorMiddleware` answers with a redirect to the
/// sign-in page carrying the page's path.
struct SignInRedirect: Error {}
