import Crypto
import HubCore
import HubSystem
import NIOCore

/// The running digests of a file read or written from byte 0: the SHA-256 of the whole and of
/// every block, in the one pass that already moves the bytes, so the block manifest costs no
/// second read of the file.
public struct ContentHasher: Sendable {
    private var whole = SHA256()
    private var block = SHA256()
    private var inBlock = 0
    private var blocks: [BlockHash] = []
    public let blockSize: Int
    public private(set) var count: Int64 = 0

    /// Cuts blocks for a file of about `expectedSize` bytes (the manifest's rule).
    public init(expectedSize: Int64) {
        self.blockSize = BlockManifest.blockSize(forFileSize: max(0, expectedSize))
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        updateWhole(bytes)
        updateBlocks(bytes)
    }

    /// The two halves of `update`, for a caller that runs them on two threads at once (each
    /// half must see every byte, in order): hashing is most of an upload's CPU, and the whole
    /// file's digest and its blocks' are independent.
    public mutating func updateWhole(_ bytes: UnsafeRawBufferPointer) {
        whole.update(bufferPointer: bytes)
    }

    /// After `updateWhole` ran on `other` and `updateBlocks` here over the same bytes: this one
    /// then holds both.
    public mutating func takeWholeDigest(of other: ContentHasher) {
        whole = other.whole
    }

    public mutating func updateBlocks(_ bytes: UnsafeRawBufferPointer) {
        count += Int64(bytes.count)
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(blockSize - inBlock, rest.count)
            block.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest.prefix(take)))
            inBlock += take
            rest = rest.dropFirst(take)
            if inBlock == blockSize { closeBlock() }
        }
    }

    /// The file's digest and manifest, for the bytes passed so far.
    public func finalize() throws -> ContentDigest {
        var copy = self
        if copy.inBlock > 0 { copy.closeBlock() }
        let sha256 = copy.whole.finalize().hexEncoded
        return ContentDigest(
            sha256: sha256, manifest: try BlockManifest(blockSize: blockSize, size: count, sha256: sha256, blocks: copy.blocks))
    }

    /// The digests of the whole of `file`, read in large chunks (blocking: call it off the
    /// event loops).
    public static func digest(of file: PosixFile) throws -> ContentDigest {
        var hasher = ContentHasher(expectedSize: try file.status().size)
        var offset: Int64 = 0
        while true {
            let chunk = try file.read(count: 4 << 20, at: offset)
            if chunk.readableBytes == 0 { break }
            chunk.withUnsafeReadableBytes { hasher.update($0) }
            offset += Int64(chunk.readableBytes)
        }
        return try hasher.finalize()
    }

    private mutating func closeBlock() {
        blocks.append(BlockHash(digest: block.finalize())!)
        block = SHA256()
        inBlock = 0
    }
}

/// What hashing a file yields: its SHA-256 (lowercase hex: the video's ETag) and its manifest.
public struct ContentDigest: Sendable, Equatable {
    public var sha256: String
    public var manifest: BlockManifest

    public var size: Int64 { manifest.size }
}
