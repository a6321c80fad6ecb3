import Hummingbird
import Logging

/// The per-request context of every route. Accounts (the next issue) add the authenticated user
/// here and a child context that requires one, so handlers gain an owner without changing shape.
public struct HubRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Bodies are streamed by the upload routes; anything a route collects whole (JSON) is small.
    public var maxUploadSize: Int { 1 << 20 }
}
