import Foundation
import NIOCore

/// A key in an object store: a `/`-separated relative path of safe segments. Validated once, here,
/// so no backend ever sees `..`, an absolute path, a NUL byte or an empty segment.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(InvalidInput) {
        let segments = rawValue.split(separator: "/", omittingEmptySubsequences: false)
        guard !rawValue.isEmpty, rawValue.utf8.count <= 1024,
            !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            !rawValue.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" })
        else {
            throw InvalidInput("invalid object key", code: "invalid_key")
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// What a store knows about an object without reading it.
public struct ObjectInfo: Sendable, Equatable {
    public var key: ObjectKey
    public var size: Int64
    public var modifiedAt: Date
    /// An opaque version tag: it changes whenever the object's bytes do. Quoted, as in HTTP.
    public var etag: String?
    /// The media type given when the object was stored, where the backend keeps one.
    public var contentType: String?

    public init(key: ObjectKey, size: Int64, modifiedAt: Date, etag: String? = nil, contentType: String? = nil) {
        self.key = key
        self.size = size
        self.modifiedAt = modifiedAt
        self.etag = etag
        self.contentType = contentType
    }
}

/// One page of a listing. Pages come in a stable, backend-defined order; pass `continuation` back
/// to get the next page, until it is nil.
public struct ObjectListing: Sendable {
    public var objects: [ObjectInfo]
    public var continuation: String?

    public init(objects: [ObjectInfo], continuation: String?) {
        self.objects = objects
        self.continuation = continuation
    }
}

/// The bytes of an object (or of a range of it), pulled chunk by chunk so a reader never holds
/// more than one chunk and a slow client slows the reads down (backpressure) instead of filling
/// memory. The object is opened before this value exists: deleting the object afterwards does not
/// interrupt a read in progress.
public struct ObjectByteStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    public let info: ObjectInfo
    /// The number of bytes this stream yields in total.
    public let count: Int64
    private let next: @Sendable () async throws -> ByteBuffer?

    public init(info: ObjectInfo, count: Int64, next: @escaping @Sendable () async throws -> ByteBuffer?) {
        self.info = info
        self.count = count
        self.next = next
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(next: next) }

    /// The same bytes, each chunk handed to `body` before it is yielded (a rate limit waits there).
    public func beforeEachChunk(_ body: @escaping @Sendable (ByteBuffer) async throws -> Void) -> ObjectByteStream {
        ObjectByteStream(info: info, count: count) { [next] in
            guard let chunk = try await next() else { return nil }
            try await body(chunk)
            return chunk
        }
    }
}

/// Typed failures of any object store, mapped to HTTP once in HubWeb.
public enum ObjectStoreError: Error, Sendable, Equatable {
    case notFound(ObjectKey)
    case accessDenied(String)
    case unavailable(String)
    /// The backend's endpoint did not answer at all (as opposed to answering with an error):
    /// at start-up this points at the endpoint setting rather than the bucket.
    case unreachable(String)
    case preconditionFailed(String)
    case insufficientStorage(String)
}

/// Where video bytes and thumbnails live. Every backend (local disk, S3, the disk cache in front
/// of S3) implements this and runs the same conformance suite (`ObjectStoreConformanceTests`).
public protocol ObjectStore: Sendable {
    /// Stores the file at `path` under `key`, replacing any object there; atomic: readers see the
    /// old object or the whole new one, never a part. The file at `path` is consumed (moved or
    /// deleted) on success. The hub's own uploads take this way: a staged file can be renamed
    /// into place on local disk, and re-read when an S3 request has to be retried.
    func put(_ key: ObjectKey, movingFileAt path: String, contentType: String?) async throws -> ObjectInfo
    /// Stores the bytes of `bytes` under `key`, atomically as above, holding at most a few chunks
    /// in memory however large the object. `size`, when known, lets a backend choose how to
    /// send it; a sequence that yields a different number of bytes fails the put and stores
    /// nothing.
    func put<Bytes: AsyncSequence & Sendable>(
        _ key: ObjectKey, from bytes: Bytes, size: Int64?, contentType: String?
    ) async throws -> ObjectInfo where Bytes.Element == ByteBuffer
    func head(_ key: ObjectKey) async throws -> ObjectInfo
    /// Opens the object and returns its bytes in `range` (all of it when nil). `range` must lie
    /// within the object; callers clamp it against `head` or metadata first.
    func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream
    /// Deleting a missing key is not an error.
    func delete(_ key: ObjectKey) async throws
    /// Up to `limit` objects whose keys start with `prefix`, from where `continuation` left off.
    func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing
    /// Copies an object within the store, replacing any object at `destination`.
    func copy(_ source: ObjectKey, to destination: ObjectKey) async throws -> ObjectInfo
    /// A URL anyone may GET the object from for `seconds`, without the hub in between, or nil when
    /// the backend has no such thing (local disk).
    func presignedURL(for key: ObjectKey, expiresIn seconds: Int, contentType: String?) -> URL?
    /// Checks the store can be reached and written, for readiness probes and start-up.
    func checkHealth() async throws
}

extension ObjectStore {
    public func put(_ key: ObjectKey, movingFileAt path: String) async throws -> ObjectInfo {
        try await put(key, movingFileAt: path, contentType: nil)
    }

    /// Stores a small object held in memory (a manifest, a caption file).
    public func put(_ key: ObjectKey, bytes: ByteBuffer, contentType: String?) async throws -> ObjectInfo {
        try await put(key, from: OneBuffer(bytes), size: Int64(bytes.readableBytes), contentType: contentType)
    }

    /// The whole of a small object; an object larger than `limit` bytes is `unavailable` rather
    /// than read into memory.
    public func contents(of key: ObjectKey, limit: Int) async throws -> ByteBuffer {
        let bytes = try await read(key, range: nil)
        guard bytes.count <= limit else { throw ObjectStoreError.unavailable("\(key) is larger than \(limit) bytes") }
        var whole: ByteBuffer?
        for try await var chunk in bytes {
            guard (whole?.readableBytes ?? 0) + chunk.readableBytes <= limit else {
                throw ObjectStoreError.unavailable("\(key) is larger than \(limit) bytes")
            }
            // An object that arrives in one chunk (a block of a peer's video read from local
            // disk) is that chunk: copying a MiB again cost a fifth of a warm seek.
            if whole == nil, chunk.readableBytes == bytes.count { return chunk }
            if whole == nil { whole = ByteBufferAllocator().buffer(capacity: Int(bytes.count)) }
            whole!.writeBuffer(&chunk)
        }
        return whole ?? ByteBuffer()
    }

    /// Every object under `prefix`, fetched a page at a time as the caller reads on.
    public func objects(prefix: String = "", pageSize: Int = 1000) -> ObjectWalk {
        ObjectWalk(store: self, prefix: prefix, pageSize: pageSize)
    }
}

/// One buffer as the byte sequence `put(_:from:size:contentType:)` takes.
struct OneBuffer: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    init(_ buffer: ByteBuffer) { self.buffer = buffer }

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

/// Every object under a prefix, one listing page in memory at a time.
public struct ObjectWalk: AsyncSequence, Sendable {
    public typealias Element = ObjectInfo
    let store: any ObjectStore
    let prefix: String
    let pageSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let walk: ObjectWalk
        var page: [ObjectInfo] = []
        var continuation: String?
        var finished = false

        public mutating func next() async throws -> ObjectInfo? {
            while page.isEmpty, !finished {
                let listing = try await walk.store.list(prefix: walk.prefix, continuation: continuation, limit: walk.pageSize)
                page = listing.objects.reversed()
                continuation = listing.continuation
                finished = continuation == nil
            }
            return page.popLast()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(walk: self) }
}
