import Foundation
import NIOCore

/// A key in an object store: a `/`-separated relative path of safe segments. Validated once, here,
/// so no backend ever sees `..`, an absolute path, a NUL byte or an empty segment.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(HubError) {
        let segments = rawValue.split(separator: "/", omittingEmptySubsequences: false)
        guard !rawValue.isEmpty, rawValue.utf8.count <= 1024,
            !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            !rawValue.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" })
        else {
            throw HubError.badRequest("invalid object key", code: "invalid_key")
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

    public init(key: ObjectKey, size: Int64, modifiedAt: Date) {
        self.key = key
        self.size = size
        self.modifiedAt = modifiedAt
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
}

/// Typed failures of any object store, mapped to HTTP once in HubWeb.
public enum ObjectStoreError: Error, Sendable, Equatable {
    case notFound(ObjectKey)
    case accessDenied(String)
    case unavailable(String)
    case preconditionFailed(String)
    case insufficientStorage(String)
}

/// Where video bytes and thumbnails live. Every backend (local disk now; S3 and a caching
/// decorator later) implements this and runs the same conformance suite.
public protocol ObjectStore: Sendable {
    /// Stores the file at `path` under `key`, replacing any object there; atomic: readers see the
    /// old object or the whole new one, never a part. The file at `path` is consumed (moved or
    /// deleted) on success.
    func put(_ key: ObjectKey, movingFileAt path: String) async throws -> ObjectInfo
    func head(_ key: ObjectKey) async throws -> ObjectInfo
    /// Opens the object and returns its bytes in `range` (all of it when nil). `range` must lie
    /// within the object; callers clamp it against `head` or metadata first.
    func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream
    /// Deleting a missing key is not an error.
    func delete(_ key: ObjectKey) async throws
    /// Checks the store can be reached and written, for readiness probes and start-up.
    func checkHealth() async throws
}
