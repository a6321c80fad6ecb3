import Foundation
import HTTPTypes
import HubCore
import HubSync
import Hummingbird
import Logging
import NIOCore

/// The peer protocol's listener on `P2P_PORT` (DESIGN.md: HTTP/JSON under `/p2p/v1`), a second
/// application beside the web one. Nothing reaches a route unsigned: `PeerSignatureMiddleware`
/// reads the body, checks the signature, time and nonce, and names the sending node; the routes
/// decode and hand the message to `PeerNetwork`.
public func buildPeerListener(_ network: PeerNetwork, host: String, logger: Logger) -> some ApplicationProtocol {
    let router = Router(context: PeerRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: PeerSignatureMiddleware(network: network))
    let routes = router.group("p2p/v1")
    routes.post("hello") { _, context in
        try await network.hello(try decode(PeerMessage.Hello.self, context), from: try context.sender(), remoteHost: context.remoteHost)
    }
    routes.post("gossip") { _, context in
        try await network.gossip(try decode(PeerMessage.Gossip.self, context), from: try context.sender())
    }
    routes.post("digest") { _, context in
        try await network.digest(try decode(PeerMessage.Digest.self, context), from: try context.sender())
    }
    routes.post("pull") { _, context in
        try await network.pull(try decode(PeerMessage.Pull.self, context), from: try context.sender())
    }
    return Application(
        router: router, configuration: .init(address: .hostname(host, port: network.settings.port), serverName: "streamhub-p2p"),
        logger: logger)
}

/// The middleware has collected the body already; decoding failures are a 400.
private func decode<Message: Decodable>(_ type: Message.Type, _ context: PeerRequestContext) throws -> Message {
    do {
        return try JSONDecoder().decode(Message.self, from: Data(context.body.readableBytesView))
    } catch {
        throw HubError.badRequest("the request body is not a valid \(Message.self) message: \(error)", code: "invalid_json")
    }
}

extension PeerMessage.Hello: ResponseEncodable {}
extension PeerMessage.GossipReceipt: ResponseEncodable {}
extension PeerMessage.Digest: ResponseEncodable {}
extension PeerMessage.PullResponse: ResponseEncodable {}

public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The address the request came from (peers listening on every address are reached there).
    public var remoteHost: String?
    /// The node that signed the request, once the signature is checked.
    public var signedBy: NodeID?
    /// The whole body, read (and its digest checked) by the signature middleware.
    public var body = ByteBuffer()

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteHost = source.channel.remoteAddress?.ipAddress
    }

    func sender() throws -> NodeID {
        guard let signedBy else { throw HubError(status: 401, code: "peer_unsigned", message: "the request is not signed") }
        return signedBy
    }

    /// A gossip batch or a pull answer can hold many notes; the note limit bounds each.
    public var maxUploadSize: Int { 128 << 20 }
}

/// Refuses (401, logged to the sync log) any peer request that is unsigned, signed with another
/// secret, altered, outside the time window, or replayed.
struct PeerSignatureMiddleware: RouterMiddleware {
    let network: PeerNetwork

    func handle(_ request: Request, context: PeerRequestContext, next: (Request, PeerRequestContext) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > context.maxUploadSize {
            throw HubError(status: 413, code: "payload_too_large", message: "a peer request may be at most \(context.maxUploadSize) bytes")
        }
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        context.body = body
        let headers = request.headers
        do throws(PeerAuthenticationError) {
            context.signedBy = try network.authenticator.verify(
                method: request.method.rawValue, path: request.uri.description, body: body.readableBytesView
            ) { name in HTTPField.Name(name).flatMap { headers[$0] } }
        } catch {
            await network.refused(error.description, from: context.remoteHost ?? "unknown")
            throw HubError(status: 401, code: "peer_refused", message: error.description)
        }
        return try await next(request, context)
    }
}
