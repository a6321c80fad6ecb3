import AsyncHTTPClient
import HubAPI
import Foundation
import NIOCore
import NIOHTTP1

/// The hub's JSON API for the command line: requests with the API token, answers decoded, and
/// the hub's error body (`{"error": {"code", "message"}}`) turned into one readable error.
public struct HubAPIClient: Sendable {
    public let server: URL
    let token: String
    let http: HTTPClient

    public struct Failure: Error, CustomStringConvertible {
        public let status: Int
        public let code: String
        public let message: String
        public var description: String { "\(message) (\(status) \(code))" }
    }

    public init(server: URL, token: String, http: HTTPClient = .shared) {
        self.server = server
        self.token = token
        self.http = http
    }

    public enum Method: String, Sendable { case GET, POST, PUT, PATCH, DELETE }

    /// Sends `body` (JSON) and decodes the answer; 204 decodes from `{}`.
    public func send<Answer: Decodable>(
        _ method: Method, _ path: String, body: (some Encodable)? = nil as Empty?, as: Answer.Type = Answer.self
    ) async throws -> Answer {
        let raw = try body.map { (bytes: try WireFormat.encoder().encode($0), contentType: "application/json") }
        return try await send(method, path, raw: raw, as: Answer.self)
    }

    /// Sends `raw` bytes as they are (a captions file) and decodes the answer.
    public func send<Answer: Decodable>(
        _ method: Method, _ path: String, raw: (bytes: Data, contentType: String)?, as: Answer.Type = Answer.self
    ) async throws -> Answer {
        guard let url = URL(string: path, relativeTo: server) else {
            throw Failure(status: 0, code: "bad_path", message: "cannot make a URL of \(path)")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method.rawValue)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        if let raw {
            request.headers.add(name: "Content-Type", value: raw.contentType)
            request.body = .bytes(ByteBuffer(bytes: raw.bytes))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let detail = (try? WireFormat.decoder().decode(APIErrorBody.self, from: data))?.error
            throw Failure(
                status: Int(response.status.code), code: detail?.code ?? "http_error",
                message: detail?.message ?? response.status.reasonPhrase)
        }
        return try WireFormat.decoder().decode(Answer.self, from: data.isEmpty ? Data("{}".utf8) : data)
    }

    public struct Empty: Codable, Sendable {
        public init() {}
    }
}
