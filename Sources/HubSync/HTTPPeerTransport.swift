import AsyncHTTPClient
import Crypto
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
        let data = Data(try await post(message, path: Request.path, to: address, limit: Self.maxResponseBytes, hashing: false).bytes.readableBytesView)
        do {
            return try WireFormat.decoder().decode(Request.Answer.self, from: data)
        } catch {
            throw PeerUnanswered("an answer this hub cannot read: \(error)")
        }
    }

    public func fetch<Request: PeerBytesRequest>(_ message: Request, from address: PeerAddress, limit: Int) async throws -> FetchedBytes {
        let answer = try await post(message, path: Request.path, to: address, limit: limit, hashing: true)
        return FetchedBytes(bytes: answer.bytes, sha256: BlockHash(answer.digest!.finalize()))
    }

    /// Signs and posts `message`; the body of a 200 answer, at most `limit` bytes, and when
    /// `hashing`, its SHA-256 as far as it is read, updated chunk by chunk as they arrive.
    private func post(
        _ message: some Encodable, path: String, to address: PeerAddress, limit: Int, hashing: Bool
    ) async throws -> (bytes: ByteBuffer, digest: SHA256?) {
        let payload = try WireFormat.encoder().encode(message)
        let path = "/p2p/v1/" + path
        var request = HTTPClientRequest(url: "http://\(address)\(path)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for (name, value) in authenticator.headers(method: "POST", path: path, body: payload) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: payload))
        do {
            let response = try await http.execute(request, timeout: timeout)
            guard response.status == .ok else {
                // An error body is small; a refusal must not make this hub read a large one.
                let bytes = try await response.body.collect(upTo: 64 << 10)
                let message = (try? WireFormat.decoder().decode(APIErrorBody.self, from: Data(bytes.readableBytesView)))?.error.message
                throw PeerUnanswered("\(response.status.code): \(message ?? response.status.reasonPhrase)")
            }
            var digest = hashing ? SHA256() : nil
            let declared = response.headers.first(name: "Content-Length").flatMap(Int.init) ?? 0
            var bytes = ByteBufferAllocator().buffer(capacity: min(max(declared, 0), limit))
            for try await chunk in response.body {
                guard bytes.readableBytes + chunk.readableBytes <= limit else {
                    throw PeerUnanswered("an answer of more than \(limit) bytes")
                }
                chunk.withUnsafeReadableBytes { digest?.update(bufferPointer: $0) }
                bytes.writeImmutableBuffer(chunk)
            }
            return (bytes, digest)
        } catch let error as PeerUnanswered {
            throw error
        } catch {
            throw PeerUnanswered("\(error)")
        }
    }
}
