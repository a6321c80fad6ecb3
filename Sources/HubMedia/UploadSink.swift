import Crypto
import HubCore
import NIOCore

/// One PATCH's bytes on their way to where its upload waits: a staging file
/// (`StagedFileWriter`) or parts in the object store (`PartUploadSink`). Nothing written counts
/// until `sync` returns and the service records `position` as the upload's offset.
protocol UploadSink: Sendable {
    /// The offset the bytes made durable by the last `sync` reach.
    var position: Int64 { get }
    /// The offset the bytes accepted so far reach, durable or not.
    var end: Int64 { get }
    /// Digests of the whole upload and its blocks from byte 0, when this sink keeps them.
    var contentHash: ContentHasher? { get }
    /// Digest of this request's bytes only (tus `Upload-Checksum`).
    var requestDigest: ChunkDigest? { get }
    mutating func append(_ buffer: ByteBuffer) async throws
    /// Passes on everything accepted, so that `requestDigest` covers it.
    mutating func flush() async throws
    /// Makes everything accepted durable.
    mutating func sync() async throws
    /// After `position` is recorded: lets go of what the old offset needed.
    func recorded() async
}

extension StagedFileWriter: UploadSink {
    func recorded() async {}
}

/// Appends to an upload kept as parts in the object store. It keeps no running hash of the whole
/// upload: the complete object is read back to be probed, and hashed on the way.
struct PartUploadSink: UploadSink {
    private var writer: any UploadPartWriter
    private(set) var requestDigest: ChunkDigest?
    private(set) var position: Int64

    init(writer: any UploadPartWriter, requestDigest: ChunkDigest?) {
        self.writer = writer
        self.requestDigest = requestDigest
        self.position = writer.end
    }

    var end: Int64 { writer.end }
    var contentHash: ContentHasher? { nil }

    mutating func append(_ buffer: ByteBuffer) async throws {
        buffer.withUnsafeReadableBytes { requestDigest?.update($0) }
        try await writer.write(buffer)
    }

    mutating func flush() async throws {}

    mutating func sync() async throws {
        try await writer.commit()
        position = writer.end
    }

    func recorded() async { await writer.retireOldTail() }
}
