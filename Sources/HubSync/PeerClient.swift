import AsyncHTTPClient
import Foundation
import HubCore
import NIOCore
import NIOHTTP1

/// Sends the peer protocol's requests, each signed by `PeerRequestAuthenticator`.
struct PeerClient: Sendable {
    let http: HTTPClient
    let authenticator: PeerRequestAuthenticator
    let timeout: TimeAmount

    /// A request a peer refused or could not answer, or a connection that failed.
    struct Failure: Error, CustomStringConvertible {
        var status: Int?
        var message: String
        var description: String { status.map { "\($0): \(message)" } ?? message }
    }

    /// The largest answer read from a peer (a pull of `PeerMessage.pullLimit` notes).
    static let maxResponseBytes = 256 << 20

    func post<Answer: Decodable>(_ path: String, _ body: some Encodable, to address: PeerAddress, as: Answer.Type = Answer.self) async throws -> Answer {
        let payload = try JSONEncoder().encode(body)
        let fullPath = "/p2p/v1/" + path
        var request = HTTPClientRequest(url: "http://\(address)\(fullPath)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in authenticator.headers(method: "POST", path: fullPath, body: payload) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw Failure(status: nil, message: "\(error)")
        }
        let bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        let data = Data(bytes.readableBytesView)
        guard response.status == .ok else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message ?? response.status.reasonPhrase
            throw Failure(status: Int(response.status.code), message: message)
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw Failure(status: Int(response.status.code), message: "an answer this hub cannot read: \(error)")
        }
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String }
        var error: Detail
    }
}
