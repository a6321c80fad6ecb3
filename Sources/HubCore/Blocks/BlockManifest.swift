import NIOCore

/// The SHA-256 of one block of a video: what names the block wherever it is stored or sent, so a
/// block is verified by what it is, not by who sent it. Four words rather than an array: a
/// manifest of 300,000 blocks is one flat buffer, and hashing a block as a dictionary key is cheap.
public struct BlockHash: Hashable, Sendable, CustomStringConvertible {
    let words: (UInt64, UInt64, UInt64, UInt64)

    /// The 32 bytes of a SHA-256 digest; nil for any other length.
    public init?<Bytes: Sequence<UInt8>>(digest: Bytes) {
        let bytes = Array(digest)
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() { words[index / 8] = words[index / 8] << 8 | UInt64(byte) }
        self.words = (words[0], words[1], words[2], words[3])
    }

    /// From 64 lowercase hex digits, as in URLs and object keys.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(digest: bytes)
    }

    public var bytes: [UInt8] {
        [words.0, words.1, words.2, words.3].flatMap { word in (0..<8).reversed().map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    }

    public var hex: String { bytes.hexEncoded }
    public var description: String { hex }

    public static func == (lhs: BlockHash, rhs: BlockHash) -> Bool { lhs.words == rhs.words }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// How a video is cut into content-addressed blocks: the block size, the SHA-256 of every block
/// and of the whole file (the video's ETag). A hub that holds the manifest can take each block
/// from any peer and check it before serving a byte of it.
///
/// The block size follows Syncthing's rule: the smallest power of two from 128 KiB to 16 MiB
/// that cuts the file into at most 2,000 blocks. Small files get small blocks, so a seek
/// fetches little; large ones keep the manifest small (64 KiB up to 32 GiB of video). The size
/// is written into the manifest, so a manifest made from an estimate of the file's size (a form
/// upload knows only its request's length) stays valid.
public struct BlockManifest: Sendable, Equatable {
    public static let smallestBlockSize = 128 << 10
    public static let largestBlockSize = 16 << 20
    public static let blocksPerFile: Int64 = 2_000
    /// The largest file a manifest describes: S3's largest object, as `MAX_UPLOAD_BYTES`.
    public static let largestFileSize: Int64 = 5 << 40

    public let blockSize: Int
    public let size: Int64
    /// Lowercase hex SHA-256 of the whole file.
    public let sha256: String
    public let blocks: [BlockHash]

    /// A manifest whose parts agree: a block size the rule allows, one hash per block of `size`
    /// bytes, and a whole-file digest in hex. Throws on anything else, since manifests also come
    /// from peers.
    public init(blockSize: Int, size: Int64, sha256: String, blocks: [BlockHash]) throws(InvalidInput) {
        guard blockSize >= Self.smallestBlockSize, blockSize <= Self.largestBlockSize, blockSize & (blockSize - 1) == 0 else {
            throw InvalidInput("a block size must be a power of two from 128 KiB to 16 MiB", code: "invalid_manifest")
        }
        guard (0...Self.largestFileSize).contains(size), blocks.count == Self.blockCount(size: size, blockSize: blockSize) else {
            throw InvalidInput("a manifest needs one block hash per block of the file", code: "invalid_manifest")
        }
        guard BlockHash(hex: sha256) != nil else {
            throw InvalidInput("a manifest's file digest must be 64 lowercase hex digits", code: "invalid_manifest")
        }
        self.blockSize = blockSize
        self.size = size
        self.sha256 = sha256
        self.blocks = blocks
    }

    /// The block size for a file of `size` bytes.
    public static func blockSize(forFileSize size: Int64) -> Int {
        var blockSize = smallestBlockSize
        while blockSize < largestBlockSize, size >= blocksPerFile * Int64(blockSize) { blockSize <<= 1 }
        return blockSize
    }

    public static func blockCount(size: Int64, blockSize: Int) -> Int {
        Int((size + Int64(blockSize) - 1) / Int64(blockSize))
    }

    /// The bytes block `index` covers; the last block may be short.
    public func range(ofBlock index: Int) -> ClosedRange<Int64> {
        precondition(blocks.indices.contains(index), "block \(index) is outside the manifest")
        let start = Int64(index) * Int64(blockSize)
        return start...(min(start + Int64(blockSize), size) - 1)
    }

    /// The bytes a run of blocks covers.
    public func range(ofBlocks run: ClosedRange<Int>) -> ClosedRange<Int64> {
        range(ofBlock: run.lowerBound).lowerBound...range(ofBlock: run.upperBound).upperBound
    }

    /// The blocks that hold the bytes of `range`, which lies within the file.
    public func blocks(covering range: ClosedRange<Int64>) -> ClosedRange<Int> {
        precondition(range.lowerBound >= 0 && range.upperBound < size, "range \(range) is outside the file")
        return Int(range.lowerBound / Int64(blockSize))...Int(range.upperBound / Int64(blockSize))
    }

    // MARK: - Stored form

    /// "SHUBBLK1", then the block size (UInt32), the file size (UInt64), the file's SHA-256,
    /// the block count (UInt32) and each block's SHA-256; integers big-endian. Binary, since a
    /// 5 TiB video has 327,680 blocks: 10 MiB as it is, twice that as hex in JSON.
    static let magic = Array("SHUBBLK1".utf8)
    static let headerLength = magic.count + 4 + 8 + 32 + 4
    /// The most bytes a hub reads as a manifest, from its store or from a peer: room above the
    /// 10 MiB of the largest file at the largest block size.
    public static let largestEncodedSize = 16 << 20
    /// The most blocks of a manifest worth keeping in memory between requests (256 KiB: videos
    /// up to 128 GiB), so a cache of 64 manifests stays under 16 MiB.
    public static let largestCachedBlockCount = 8_192

    public func encoded() -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: Self.headerLength + blocks.count * 32)
        buffer.writeBytes(Self.magic)
        buffer.writeInteger(UInt32(blockSize))
        buffer.writeInteger(UInt64(size))
        buffer.writeBytes(BlockHash(hex: sha256)!.bytes)
        buffer.writeInteger(UInt32(blocks.count))
        for block in blocks {
            buffer.writeInteger(block.words.0)
            buffer.writeInteger(block.words.1)
            buffer.writeInteger(block.words.2)
            buffer.writeInteger(block.words.3)
        }
        return buffer
    }

    /// The manifest `encoded()` wrote, checked whole: lengths are read from the buffer only to be
    /// compared with what the buffer holds, never to size an allocation.
    public init(decoding buffer: ByteBuffer) throws(InvalidInput) {
        var buffer = buffer
        let malformed = InvalidInput("not a block manifest", code: "invalid_manifest")
        guard buffer.readBytes(length: Self.magic.count) == Self.magic,
            let blockSize = buffer.readInteger(as: UInt32.self), let size = buffer.readInteger(as: UInt64.self),
            let digest = buffer.readBytes(length: 32), let count = buffer.readInteger(as: UInt32.self),
            buffer.readableBytes == Int(count) * 32, size <= UInt64(Self.largestFileSize)
        else { throw malformed }
        var blocks: [BlockHash] = []
        blocks.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let words = buffer.readMultipleIntegers(as: (UInt64, UInt64, UInt64, UInt64).self) else { throw malformed }
            blocks.append(BlockHash(words: words))
        }
        try self.init(blockSize: Int(blockSize), size: Int64(size), sha256: digest.hexEncoded, blocks: blocks)
    }
}

extension BlockHash {
    init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }
}
