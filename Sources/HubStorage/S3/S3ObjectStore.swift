import AsyncHTTPClient
import Crypto
import Foundation
import HubCore
import HubSystem
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import XMLCoder

/// `ObjectStore` on any S3-compatible server, over AsyncHTTPClient with our SigV4 signer.
///
/// Bodies stream both ways: a put reads the file a chunk at a time into the request, a read hands
/// the response body on as it arrives, so neither holds an object in memory.
public struct S3ObjectStore: ObjectStore {
    public struct Settings: Sendable {
        public var bucket: String
        public var region: String
        public var credentials: AWSCredentials
        /// `http(s)://host[:port]` of an S3-compatible server (path-style addressing), or nil for
        /// AWS (virtual-hosted: `bucket.s3.region.amazonaws.com`).
        public var endpoint: URL?

        public init(bucket: String, region: String, credentials: AWSCredentials, endpoint: URL?) {
            self.bucket = bucket
            self.region = region
            self.credentials = credentials
            self.endpoint = endpoint
        }
    }

    let settings: Settings
    let signer: SigV4Signer
    let http: HTTPClient
    let clock: any WallClock
    /// Bytes read from a file per request-body chunk.
    let chunkSize = 1 << 20
    /// Objects larger than this go up in parts (S3 takes at most 5 GiB in one PUT, and a failed
    /// part is retried alone).
    let multipartThreshold: Int64
    /// Parts in flight at once; each holds one part in memory. Four keep a 1 GiB put near 95 MiB
    /// of resident memory; eight or ten were no faster against moto and cost 40 MiB more
    /// (`scripts/bench/storage.py`).
    let parallelParts = 4
    /// The first retry waits up to this long; each further one up to twice as long.
    let baseRetryDelayMilliseconds: Int
    /// How long `checkHealth` waits: short, because AsyncHTTPClient keeps retrying a refused
    /// connection until the deadline and a start-up check must fail fast.
    let healthCheckTimeout: TimeAmount
    let metrics: StoreMetrics

    public init(
        settings: Settings, http: HTTPClient = .shared, clock: any WallClock = SystemWallClock(), multipartThreshold: Int64 = 64 << 20,
        baseRetryDelayMilliseconds: Int = 200, healthCheckTimeout: TimeAmount = .seconds(5), metrics: HubMetrics = .disabled
    ) {
        self.metrics = StoreMetrics(metrics, backend: "s3")
        self.settings = settings
        self.healthCheckTimeout = healthCheckTimeout
        self.baseRetryDelayMilliseconds = baseRetryDelayMilliseconds
        self.multipartThreshold = multipartThreshold
        self.signer = SigV4Signer(credentials: settings.credentials, region: settings.region)
        self.http = http
        self.clock = clock
    }

    /// A staged file goes up in one streamed PUT, or in parts past `multipartThreshold`; either
    /// way a retried request reads the file again, so nothing has to stay in memory.
    public func put(_ key: ObjectKey, movingFileAt path: String, contentType: String?) async throws -> ObjectInfo {
        return try await metrics.measure(.put) {
            let file = try PosixFile(path: path, mode: .read)
            let size = try file.status().size
            let info: ObjectInfo
            if size > multipartThreshold {
                // Read a part at a time: one pread per part, straight into the buffer that is sent.
                let partSize = Int(S3MultipartUpload.partSize(for: size))
                var chunks = FileChunks(file: file, size: size, chunkSize: partSize).makeAsyncIterator()
                info = try await S3MultipartUpload(store: self, key: key, contentType: contentType, expectedSize: size)
                    .run(first: ByteBuffer(), rest: &chunks)
            } else {
                let chunkSize = self.chunkSize
                let response = try await send(
                    "PUT", key: key, headers: [("Content-Type", contentType ?? Self.defaultContentType)],
                    body: { .stream(FileChunks(file: file, size: size, chunkSize: chunkSize), length: .known(size)) },
                    payloadHash: SigV4Signer.unsignedPayload)
                try await Self.check(response, key: key)
                info = Self.info(key, response.headers, size: size, contentType: contentType, clock: clock)
            }
            try? PosixPath.remove(path)
            return info
        }
    }

    /// A sequence can be read only once, so what a retry has to send again must be in memory: an
    /// object smaller than one part is gathered and sent in one PUT, a larger one goes up in
    /// parts (each kept until S3 has it). Memory stays within `parallelParts + 1` parts.
    public func put<Bytes: AsyncSequence & Sendable>(
        _ key: ObjectKey, from bytes: Bytes, size: Int64?, contentType: String?
    ) async throws -> ObjectInfo where Bytes.Element == ByteBuffer {
        return try await metrics.measure(.put) {
            let partSize = S3MultipartUpload.partSize(for: size ?? S3MultipartUpload.largestExpectedObject)
            var iterator = bytes.makeAsyncIterator()
            var first = ByteBuffer()
            while first.readableBytes < partSize, var chunk = try await iterator.next() { first.writeBuffer(&chunk) }
            if first.readableBytes >= partSize {
                return try await S3MultipartUpload(store: self, key: key, contentType: contentType, expectedSize: size)
                    .run(first: first, rest: &iterator)
            }
            if let size, Int64(first.readableBytes) != size {
                throw ObjectStoreError.preconditionFailed("\(key): expected \(size) bytes, got \(first.readableBytes)")
            }
            let whole = first
            let response = try await send(
                "PUT", key: key, headers: [("Content-Type", contentType ?? Self.defaultContentType)], body: { .bytes(whole) },
                payloadHash: whole.withUnsafeReadableBytes { SHA256.hash(data: $0) }.hexEncoded)
            try await Self.check(response, key: key)
            return Self.info(key, response.headers, size: Int64(whole.readableBytes), contentType: contentType, clock: clock)
        }
    }

    /// A server-side copy: the bytes never pass through the hub. S3 copies up to 5 GiB in one
    /// request; anything larger is copied part by part.
    public func copy(_ source: ObjectKey, to destination: ObjectKey) async throws -> ObjectInfo {
        return try await metrics.measure(.copy) {
            let original = try await head(source)
            if original.size > Self.largestSingleCopy {
                return try await S3MultipartUpload(store: self, key: destination, contentType: original.contentType, expectedSize: original.size)
                    .copy(from: source)
            }
            let response = try await send(
                "PUT", key: destination, headers: [("x-amz-copy-source", copySource(source)), ("x-amz-metadata-directive", "COPY")])
            try await Self.check(response, key: destination)
            try await Self.checkNoErrorInBody(response, doing: "copying \(source) to \(destination)")
            var info = original
            info.key = destination
            info.modifiedAt = clock.now()
            return info
        }
    }

    static let largestSingleCopy: Int64 = 5 << 30
    static let defaultContentType = "application/octet-stream"

    /// `x-amz-copy-source`: the bucket and the key, URI-encoded like a path.
    func copySource(_ key: ObjectKey) -> String {
        SigV4Signer.encode("/\(settings.bucket)/\(key.rawValue)", keepingSlash: true)
    }

    /// `ListObjectsV2`, in S3's key order; the continuation is S3's own token.
    public func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        return try await metrics.measure(.list) {
            var query: [(name: String, value: String)] = [("list-type", "2"), ("max-keys", String(max(1, min(limit, 1000))))]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let continuation { query.append(("continuation-token", continuation)) }
            let response = try await send("GET", key: nil, query: query)
            try await Self.check(response, key: nil)
            let body = try await response.body.collect(upTo: 16 << 20)
            let result = try XMLDecoder().decode(ListBucketResult.self, from: Data(body.readableBytesView))
            let objects = (result.contents ?? []).compactMap { entry -> ObjectInfo? in
                // A key the hub cannot address (written by another tool) is left out, not an error.
                guard let key = try? ObjectKey(entry.key) else { return nil }
                return ObjectInfo(
                    key: key, size: entry.size, modifiedAt: S3Date.parseISO8601(entry.lastModified) ?? Date(timeIntervalSince1970: 0),
                    etag: entry.eTag)
            }
            return ObjectListing(objects: objects, continuation: result.isTruncated ? result.nextContinuationToken : nil)
        }
    }

    /// A GET URL signed for `seconds` (at most S3's 7 days). `response-content-type` makes S3
    /// answer with the video's type whatever the object was stored with.
    public func presignedURL(for key: ObjectKey, expiresIn seconds: Int, contentType: String?) -> URL? {
        let (url, host, path) = location(of: key)
        let query = contentType.map { [(name: "response-content-type", value: $0)] } ?? []
        let request = SigV4Signer.Request(method: "GET", path: path, query: query, headers: [("host", host)])
        let signed = signer.presignedQuery(for: request, expires: min(max(seconds, 1), 604_800), date: clock.now())
        return URL(string: url + "?" + signed)
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo {
        return try await metrics.measure(.head) {
            let response = try await send("HEAD", key: key)
            try await Self.check(response, key: key)
            return Self.info(key, response.headers, clock: clock)
        }
    }

    public func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream {
        return try await metrics.measure(.read) {
            var headers: [(name: String, value: String)] = []
            if let range { headers.append(("Range", "bytes=\(range.lowerBound)-\(range.upperBound)")) }
            let response = try await send("GET", key: key, headers: headers)
            try await Self.check(response, key: key)
            var info = Self.info(key, response.headers, clock: clock)
            if let total = response.headers.first(name: "Content-Range")?.split(separator: "/").last.flatMap({ Int64($0) }) {
                info.size = total
            }
            let count = range.map { $0.upperBound - $0.lowerBound + 1 } ?? info.size
            let iterator = BodyIterator(response.body.makeAsyncIterator())
            return ObjectByteStream(info: info, count: count) { try await iterator.next() }
        }
    }

    public func delete(_ key: ObjectKey) async throws {
        try await metrics.measure(.delete) {
            let response = try await send("DELETE", key: key)
            if response.status == .notFound { return }
            try await Self.check(response, key: key)
        }
    }

    /// `HEAD` on the bucket: wrong credentials, a missing bucket and an unreachable endpoint each
    /// fail with a message that names the cause.
    public func checkHealth() async throws {
        try await metrics.measure(.health) {
            let response = try await send("HEAD", key: nil, timeout: healthCheckTimeout, attempts: 1)
            switch response.status.code {
            case 200: return
            case 403: throw ObjectStoreError.accessDenied("S3 refused the credentials for bucket '\(settings.bucket)' (403)")
            case 404: throw ObjectStoreError.unavailable("the bucket '\(settings.bucket)' does not exist")
            default: throw ObjectStoreError.unavailable("S3 answered \(response.status.code) to a check of bucket '\(settings.bucket)'")
            }
        }
    }

    // MARK: - Requests

    /// Where a key lives: path-style on a configured endpoint, virtual-hosted on AWS.
    func location(of key: ObjectKey?) -> (url: String, host: String, path: String) {
        let keyPath = key.map { "/" + $0.rawValue } ?? ""
        if let endpoint = settings.endpoint, let host = endpoint.host {
            let authority = endpoint.port.map { "\(host):\($0)" } ?? host
            let path = "/\(settings.bucket)\(keyPath)"
            return ("\(endpoint.scheme ?? "https")://\(authority)\(SigV4Signer.encode(path, keepingSlash: true))", authority, path)
        }
        let host = "\(settings.bucket).s3.\(settings.region).amazonaws.com"
        let path = keyPath.isEmpty ? "/" : keyPath
        return ("https://\(host)\(SigV4Signer.encode(path, keepingSlash: true))", host, path)
    }

    /// Sends a signed request. Connection failures and 500/502/503/504 (`SlowDown` is a 503)
    /// are retried up to `attempts` times with exponential backoff and full jitter, each attempt
    /// signed anew and with a fresh body from `body`; other answers, 4xx included, are returned
    /// as they are.
    func send(
        _ method: String, key: ObjectKey?, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)] = [],
        body: @Sendable () -> HTTPClientRequest.Body? = { nil }, payloadHash: String = SigV4Signer.emptyPayloadHash,
        timeout: TimeAmount = .seconds(300), attempts: Int = 4
    ) async throws -> HTTPClientResponse {
        let (url, host, path) = location(of: key)
        let signing = SigV4Signer.Request(method: method, path: path, query: query, headers: [("host", host)] + headers)
        var attempt = 1
        while true {
            var request = HTTPClientRequest(url: query.isEmpty ? url : url + "?" + SigV4Signer.canonicalQuery(query))
            request.method = HTTPMethod(rawValue: method)
            for (name, value) in headers + signer.signedHeaders(for: signing, payloadHash: payloadHash, date: clock.now()) {
                request.headers.add(name: name, value: value)
            }
            request.body = body()
            do {
                let response = try await http.execute(request, timeout: timeout)
                guard Self.retriedStatuses.contains(response.status.code), attempt < attempts else { return response }
                _ = try? await response.body.collect(upTo: 64 << 10)
            } catch {
                guard attempt < attempts else { throw ObjectStoreError.unreachable("S3 at \(host) cannot be reached: \(error)") }
            }
            try await Task.sleep(for: retryDelay(attempt))
            metrics.retried()
            attempt += 1
        }
    }

    static let retriedStatuses: Set<UInt> = [500, 502, 503, 504]

    /// Full jitter (a random wait up to the exponential bound), so many clients that failed
    /// together do not retry together.
    func retryDelay(_ attempt: Int) -> Duration {
        .milliseconds(Int.random(in: 0...(baseRetryDelayMilliseconds << (attempt - 1))))
    }

    /// Maps an S3 error response to `ObjectStoreError` by its XML `<Code>`.
    static func check(_ response: HTTPClientResponse, key: ObjectKey?) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        let body = (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer()
        let error = try? XMLDecoder().decode(S3ErrorBody.self, from: Data(body.readableBytesView))
        let code = error?.code ?? "HTTP \(response.status.code)"
        let message = "\(code): \(error?.message ?? response.status.reasonPhrase)"
        if response.status.code == 404, code != "NoSuchBucket", let key { throw ObjectStoreError.notFound(key) }
        switch response.status.code {
        case 403: throw ObjectStoreError.accessDenied(message)
        case 412: throw ObjectStoreError.preconditionFailed(message)
        default: throw ObjectStoreError.unavailable(message)
        }
    }

    /// S3 can answer 200 and report an error in the body (copies and multipart completions that
    /// failed after the response began).
    static func checkNoErrorInBody(_ response: HTTPClientResponse, doing operation: String) async throws {
        let body = try await response.body.collect(upTo: 1 << 20)
        if let error = try? XMLDecoder().decode(S3ErrorBody.self, from: Data(body.readableBytesView)) {
            throw ObjectStoreError.unavailable("\(operation) failed: \(error.code)")
        }
    }

    /// What a response's headers say about an object; the size and type the hub sent stand in
    /// for what a PUT's response does not repeat.
    static func info(
        _ key: ObjectKey, _ headers: HTTPHeaders, size: Int64? = nil, contentType: String? = nil, clock: any WallClock
    ) -> ObjectInfo {
        ObjectInfo(
            key: key, size: size ?? headers.first(name: "Content-Length").flatMap { Int64($0) } ?? 0,
            modifiedAt: headers.first(name: "Last-Modified").flatMap(S3Date.parse) ?? clock.now(),
            etag: headers.first(name: "ETag"), contentType: contentType ?? headers.first(name: "Content-Type"))
    }
}

/// `ListObjectsV2`'s answer, as much of it as the hub reads.
struct ListBucketResult: Decodable {
    var contents: [Entry]?
    var isTruncated: Bool
    var nextContinuationToken: String?

    struct Entry: Decodable {
        var key: String
        var size: Int64
        var eTag: String?
        var lastModified: String
        enum CodingKeys: String, CodingKey {
            case key = "Key"
            case size = "Size"
            case eTag = "ETag"
            case lastModified = "LastModified"
        }
    }

    enum CodingKeys: String, CodingKey {
        case contents = "Contents"
        case isTruncated = "IsTruncated"
        case nextContinuationToken = "NextContinuationToken"
    }
}

/// S3's error document: `<Error><Code>NoSuchKey</Code><Message>…</Message></Error>`.
struct S3ErrorBody: Decodable {
    var code: String
    var message: String?

    enum CodingKeys: String, CodingKey {
        case code = "Code"
        case message = "Message"
    }
}

enum S3Date {
    static func parse(_ text: String) -> Date? {
        // Printable ASCII only, as `HTTPDate.parse`: Foundation's `DateFormatter` traps on some
        // non-ASCII input on Linux, and a misbehaving server must not take the hub down.
        guard text.utf8.count <= 64, text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// `2009-10-12T17:50:30.000Z`, as listings give it.
    static func parseISO8601(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

/// A file's bytes as an async sequence of chunks, each read on NIO's blocking pool.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let file: PosixFile
    let size: Int64
    let chunkSize: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var offset: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < chunks.size else { return nil }
            let (file, at, count) = (chunks.file, offset, Int(Swift.min(Int64(chunks.chunkSize), chunks.size - offset)))
            let buffer = try await NIOThreadPool.singleton.runIfActive { try file.read(count: count, at: at) }
            offset += Int64(buffer.readableBytes)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}

/// Hands a response body's iterator to `ObjectByteStream`, which pulls through a closure.
final class BodyIterator: @unchecked Sendable {
    // A stream is read by one consumer at a time (the response writer), so the iterator is
    // never used concurrently.
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ iterator: HTTPClientResponse.Body.AsyncIterator) { self.iterator = iterator }

    func next() async throws -> ByteBuffer? { try await iterator.next() }
}
