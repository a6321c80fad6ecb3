import Crypto
import Foundation
import HTTPTypes
import HubCore
import HubSync
import Hummingbird
import Logging
import NIOCore

/// The peer protocol's listener on `P2P_PORT` (DESIGN.md: HTTP/JSON under `/p2p/v1`), a second
/// application beside the web one. Nothing reaches a route unsigned: `PeerSignatureMiddleware`
/// checks the signature, time and nonce from the headers, then reads the body against the
/// signed digest and names the sending node; the routes decode and hand the message to
/// `PeerNetwork`.
public func buildPeerListener(
    _ network: PeerNetwork, host: String, timeouts: HubConfiguration.ConnectionTimeouts, logger: Logger
) -> some ApplicationProtocol {
    let router = Router(context: PeerRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: RequestBodyLimitMiddleware(bytes: Int64(PeerRequestContext.maxBodyBytes)))
    router.add(middleware: PeerSignatureMiddleware(network: network))
    let routes = router.group("p2p/v1")
    func route<Message: PeerRequest>(_: Message.Type) where Message.Answer: ResponseEncodable {
        routes.post(RouterPath(stringLiteral: Message.path)) { _, context in
            try await decode(Message.self, context).answer(on: network, from: try context.sender(), remoteHost: context.remoteHost)
        }
    }
    func bytesRoute<Message: PeerBytesRequest>(_: Message.Type) {
        routes.post(RouterPath(stringLiteral: Message.path)) { _, context in
            let bytes = try await decode(Message.self, context).answer(on: network, from: try context.sender())
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(bytes.count)],
                body: ResponseBody(contentLength: Int(bytes.count)) { writer in
                    switch bytes {
                    case .whole(let buffer): try await writer.write(buffer)
                    case .stream(let stream): for try await chunk in stream { try await writer.write(chunk) }
                    }
                    try await writer.finish(nil)
                })
        }
    }
    route(PeerMessage.Hello.self)
    route(PeerMessage.Gossip.self)
    route(PeerMessage.Digest.self)
    route(PeerMessage.Pull.self)
    route(PeerMessage.CatalogueEntries.self)
    route(PeerMessage.CatalogueDigest.self)
    route(PeerMessage.CataloguePull.self)
    bytesRoute(PeerMessage.ManifestRequest.self)
    bytesRoute(PeerMessage.BlocksRequest.self)
    bytesRoute(PeerMessage.ThumbnailRequest.self)
    return Application(
        router: router, server: .guardedHTTP1(timeouts: timeouts),
        configuration: .init(address: .hostname(host, port: network.settings.port), serverName: "streamhub-p2p"), logger: logger)
}

/// The middleware has collected the body already; decoding failures are a 400.
private func decode<Message: Decodable>(_ type: Message.Type, _ context: PeerRequestContext) throws -> Message {
    try JSONBodyDecoder.decode(Message.self, from: context.body)
}

extension PeerMessage.Hello: ResponseEncodable {}
extension PeerMessage.GossipReceipt: ResponseEncodable {}
extension PeerMessage.Digest: ResponseEncodable {}
extension PeerMessage.PullResponse: ResponseEncodable {}
extension PeerMessage.CatalogueEntries: ResponseEncodable {}
extension PeerMessage.CatalogueReceipt: ResponseEncodable {}
extension PeerMessage.CatalogueDigest: ResponseEncodable {}

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
        guard let signedBy else { throw APIError(status: 401, code: "peer_unsigned", message: "the request is not signed") }
        return signedBy
    }

    /// A gossip batch or a pull answer can hold many notes; the note limit bounds each.
    static let maxBodyBytes = 128 << 20
    public var maxUploadSize: Int { Self.maxBodyBytes }
}

/// Refuses (401, logged to the sync log) any peer request that is unsigned, signed with another
/// secret, altered, outside the time window, or replayed. The signature is checked from the
/// headers alone, so nobody without the secret gets a byte of body read, and the body is hashed
/// as it arrives and compared with the signed digest at its end.
struct PeerSignatureMiddleware: RouterMiddleware {
    let network: PeerNetwork

    func handle(_ request: Request, context: PeerRequestContext, next: (Request, PeerRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        // A declared length past the limit was refused by RequestBodyLimitMiddleware; this bounds a chunked body.
        let limit = context.maxUploadSize
        let headers = request.headers
        let head: PeerRequestAuthenticator.SignedHead
        do throws(PeerAuthenticationError) {
            head = try network.authenticator.verifyHead(method: request.method.rawValue, path: request.uri.description) { name in
                HTTPField.Name(name).flatMap { headers[$0] }
            }
        } catch {
            throw await refuse(error, context: context)
        }
        var digest = SHA256()
        var body = ByteBuffer()
        for try await chunk in request.body {
            guard body.readableBytes + chunk.readableBytes <= limit else {
                throw APIError(status: 413, code: "payload_too_large", message: "a peer request may be at most \(limit) bytes")
            }
            digest.update(data: chunk.readableBytesView)
            body.writeImmutableBuffer(chunk)
        }
        guard digest.finalize().hexEncoded == head.bodyDigest else { throw await refuse(.bodyAltered, context: context) }
        context.body = body
        context.signedBy = head.sender
        return try await next(request, context)
    }

    private func refuse(_ error: PeerAuthenticationError, context: PeerRequestContext) async -> APIError {
        await network.refused(error.description, from: context.remoteHost ?? "unknown")
        return APIError(status: 401, code: "peer_refused", message: error.description)
    }
}
