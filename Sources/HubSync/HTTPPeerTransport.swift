import AsyncHTTPClient
import Foundation
import HubAPI
import HubCore
import NIOCore
import NIOHTTP1

/// The peer protocol over HTTP: each request signed by `PeerRequestAuthenticator` and posted to
/// the peer's listener, the answer (at most `maxResponseBytes`) decoded.
public struct HTTPPeerTransport: PeerTransport {
    let http: HTTPClient
    let authenticator: PeerRequestAuthenticator
    let timeout: TimeAmount

    /// The largest answer read from a peer (a pull of `PeerMessage.pullLimit` notes).
    static let maxResponseBytes = 256 << 20

    public init(http: HTTPClient, authenticator: PeerRequestAuthenticator, timeout: TimeAmount = .seconds(10)) {
        self.http = http
        self.authenticator = authenticator
        self.timeout = timeout
    }

    public func send<Request: PeerRequest>(_ message: Request, to address: PeerAddress) async throws -> Request.Answer {
        let payload = try WireFormat.encoder().encode(message)
        let path = "/p2p/v1/" + Request.path
        var request = HTTPClientRequest(url: "http://\(address)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in authenticator.headers(method: "POST", path: path, body: payload) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw PeerUnanswered("\(error)")
        }
        let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        let data = Data(bytes.readableBytesView)
        guard response.status == .ok else {
            let message = (try? WireFormat.decoder().decode(APIErrorBody.self, from: data))?.error.message ?? response.status.reasonPhrase
            throw PeerUnanswered("\(response.status.code): \(message)")
        }
        do {
            return try WireFormat.decoder().decode(Request.Answer.self, from: data)
        } catch {
            throw PeerUnanswered("an answer this hub cannot read: \(error)")
        }
    }
}
