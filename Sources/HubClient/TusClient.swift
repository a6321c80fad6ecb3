import AsyncHTTPClient
import Foundation
import HubCore
import HubSystem
import NIOCore
import NIOHTTP1

/// A tus 1.0.0 client for `streamhub upload`: creates (or resumes) an upload and sends the file
/// in chunks, re-synchronising with the server's offset after any failure, with backoff.
public struct TusClient: Sendable {
    public let server: URL
    let http: HTTPClient
    let chunkSize: Int
    let resumeStore: ResumeStore
    let headers: [String: String]

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(server: URL, http: HTTPClient = .shared, chunkSize: Int = 8 << 20, resumeStore: ResumeStore, headers: [String: String] = [:]) {
        self.server = server
        self.http = http
        self.chunkSize = chunkSize
        self.resumeStore = resumeStore
        self.headers = headers
    }

    /// Uploads the file at `path`; returns the new video's id. `progress` gets (sent, total).
    public func upload(
        path: String, metadata: [String: String], maxAttempts: Int = 8,
        progress: @Sendable (Int64, Int64) -> Void
    ) async throws -> String {
        let file = try PosixFile(path: path, mode: .read)
        let status = try file.status()
        let key = "\(server.absoluteString)|\(path)|\(status.size)|\(status.modifiedSeconds)"
        var failures = 0
        while true {
            do {
                let id = try await attempt(file: file, size: status.size, key: key, metadata: metadata, progress: progress)
                resumeStore.forget(key)
                return id
            } catch let failure as Failure {
                throw failure
            } catch {
                failures += 1
                guard failures < maxAttempts else { throw error }
                // Exponential backoff with jitter, so many clients do not retry in lockstep.
                let delay = min(30.0, pow(2, Double(failures - 1))) * Double.random(in: 0.5...1.0)
                try await Task.sleep(for: .seconds(delay))
            }
        }
    }

    private func attempt(
        file: PosixFile, size: Int64, key: String, metadata: [String: String], progress: @Sendable (Int64, Int64) -> Void
    ) async throws -> String {
        var location = resumeStore.location(for: key)
        var offset: Int64 = 0
        if let existing = location {
            let response = try await send(.HEAD, existing)
            switch response.status.code {
            case 200:
                if let videoID = response.headers.first(name: "Stream-Hub-Video-Id") { return videoID }
                offset = try Self.offset(response.headers.first(name: "Upload-Offset"), size: size) ?? 0
            case 404, 410:
                location = nil
            case 401:
                throw Failure(description: "the hub refused the API token (401); check --token or STREAMHUB_TOKEN")
            default:
                throw RetryableError(status: Int(response.status.code))
            }
        }
        if location == nil {
            let response = try await send(.POST, server.appendingPathComponent("api/v1/uploads").absoluteString, headers: [
                "Upload-Length": String(size), "Upload-Metadata": encode(metadata),
            ])
            guard response.status.code == 201, let created = response.headers.first(name: "Location") else {
                throw try await failure(response)
            }
            let absolute = URL(string: created, relativeTo: server)?.absoluteString ?? created
            resumeStore.remember(absolute, for: key)
            location = absolute
        }
        guard let location else { throw Failure(description: "no upload location") }
        progress(offset, size)
        while true {
            let chunk = try file.read(count: Int(min(Int64(chunkSize), size - offset)), at: offset)
            let response = try await send(.PATCH, location, headers: [
                "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream",
            ], body: chunk)
            guard response.status.code == 204 else {
                if [409, 423].contains(response.status.code) || response.status.code >= 500 && response.status.code != 507 {
                    throw RetryableError(status: Int(response.status.code))
                }
                throw try await failure(response)
            }
            offset = try Self.offset(response.headers.first(name: "Upload-Offset"), size: size) ?? offset
            progress(offset, size)
            if let videoID = response.headers.first(name: "Stream-Hub-Video-Id") { return videoID }
        }
    }

    struct RetryableError: Error { let status: Int }

    /// The server's `Upload-Offset`, which must lie within the file: anything else (a broken or
    /// hostile server) stops the upload instead of reading outside the file.
    static func offset(_ header: String?, size: Int64) throws -> Int64? {
        guard let header else { return nil }
        guard let offset = Int64(header), (0...size).contains(offset) else {
            throw Failure(description: "the hub answered Upload-Offset '\(header.prefix(40))', outside the file's \(size) bytes")
        }
        return offset
    }

    private func send(_ method: HTTPMethod, _ url: String, headers extra: [String: String] = [:], body: ByteBuffer? = nil) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Tus-Resumable", value: "1.0.0")
        for (name, value) in headers.merging(extra, uniquingKeysWith: { $1 }) { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        return try await http.execute(request, timeout: .seconds(300))
    }

    private func failure(_ response: HTTPClientResponse) async throws -> Failure {
        let body = try await response.body.collect(upTo: 64 * 1024)
        struct ErrorBody: Decodable { struct Detail: Decodable { var message: String }; var error: Detail }
        let message = (try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)))?.error.message
        return Failure(description: "server answered \(response.status.code): \(message ?? response.status.reasonPhrase)")
    }

    private func encode(_ metadata: [String: String]) -> String {
        metadata.sorted { $0.key < $1.key }.map { "\($0.key) \(Data($0.value.utf8).base64EncodedString())" }.joined(separator: ",")
    }
}
