import Crypto
import HubCore
import HubSystem
import NIOCore
import NIOPosix

/// Appends a request body to a staging file in constant memory: incoming buffers are gathered
/// into one large write (one `pwrite` per `batchSize` bytes on the thread pool), and every byte
/// is fed to the running digests in the same pass, so nothing is read twice.
///
/// Nothing written here counts until the owner calls `sync()` and records the new offset: a crash
/// before that leaves bytes past the recorded offset, which the next append truncates away.
public struct StagedFileWriter: Sendable {
    public let file: PosixFile
    public private(set) var position: Int64
    /// Digests of the whole file and its blocks from byte 0, when known from the start.
    public private(set) var contentHash: ContentHasher?
    /// Digest of this request's bytes only (tus `Upload-Checksum`).
    public private(set) var requestDigest: ChunkDigest?
    private var pending: ByteBuffer
    private let threadPool: NIOThreadPool
    private let batchSize: Int

    public init(
        file: PosixFile, position: Int64, contentHash: ContentHasher?, requestDigest: ChunkDigest?,
        threadPool: NIOThreadPool = .singleton, batchSize: Int = 1 << 20
    ) {
        self.file = file
        self.position = position
        self.contentHash = contentHash
        self.requestDigest = requestDigest
        self.threadPool = threadPool
        self.batchSize = batchSize
        self.pending = ByteBufferAllocator().buffer(capacity: batchSize)
    }

    /// Bytes accepted so far, written or still pending.
    public var end: Int64 { position + Int64(pending.readableBytes) }

    public mutating func append(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        pending.writeBuffer(&buffer)
        if pending.readableBytes >= batchSize { try await flush() }
    }

    public mutating func flush() async throws {
        guard pending.readableBytes > 0 else { return }
        let (file, batch, offset) = (self.file, self.pending, self.position)
        let (hash, digest) = (self.contentHash, self.requestDigest)
        let threadPool = self.threadPool
        // The blocks' digests on a second thread while the whole file's is taken and the batch
        // written: two SHA-256 passes one after the other cost an upload about a fifth of its
        // throughput.
        async let blocksHashed: ContentHasher? = {
            guard let hash else { return nil }
            return try await threadPool.runIfActive {
                var hash = hash
                batch.withUnsafeReadableBytes { hash.updateBlocks($0) }
                return hash
            }
        }()
        let (wholeHashed, requestHashed) = try await threadPool.runIfActive {
            var (hash, digest) = (hash, digest)
            batch.withUnsafeReadableBytes { bytes in
                hash?.updateWhole(bytes)
                digest?.update(bytes)
            }
            do {
                try file.write(batch, at: offset)
            } catch let error as PosixError where error.isNoSpace {
                throw UploadError.diskFull
            }
            return (hash, digest)
        }
        requestDigest = requestHashed
        if var combined = try await blocksHashed, let wholeHashed {
            combined.takeWholeDigest(of: wholeHashed)
            contentHash = combined
        }
        position += Int64(pending.readableBytes)
        pending.clear()
    }

    /// Flushes and makes everything written durable.
    public mutating func sync() async throws {
        try await flush()
        let file = self.file
        try await threadPool.runIfActive { try file.sync() }
    }
}
