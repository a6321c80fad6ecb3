import Crypto
import HubCore
import NIOCore
import Testing

@testable import HubMedia

/// The block manifest: Syncthing's block-size rule, the running hasher against hashing each
/// block on its own, and the stored form, which a peer may send corrupted.
@Suite struct ContentHasherTests {
    static let mib: Int64 = 1 << 20
    static let sizes: [(Int64, Int)] = [
        (0, 128 << 10), (1, 128 << 10), (250 * mib - 1, 128 << 10), (250 * mib, 256 << 10),
        (1_024 * mib, 1 << 20), (31 * 1_024 * mib, 16 << 20), (5 * 1_024 * 1_024 * mib, 16 << 20),
    ]

    @Test(arguments: sizes)
    func blockSizeFollowsSyncthingsRule(size: Int64, expected: Int) {
        #expect(BlockManifest.blockSize(forFileSize: size) == expected)
        if size < 32_000 << 20 {
            #expect(BlockManifest.blockCount(size: size, blockSize: expected) <= 2_000)
        }
    }

    @Test(arguments: [0, 1, 128 << 10, 128 << 10 + 1, 3 * (128 << 10) - 7])
    func blocksAreTheHashesOfTheirBytesHoweverTheBytesArrive(size: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        var hasher = ContentHasher(expectedSize: Int64(size))
        // Chunks that straddle block boundaries, as network buffers do.
        var offset = 0
        var step = 1
        while offset < size {
            let end = min(size, offset + step)
            bytes[offset..<end].withUnsafeBytes { hasher.update($0) }
            offset = end
            step = step * 3 + 1
        }
        let digest = try hasher.finalize()
        #expect(digest.sha256 == SHA256.hash(data: bytes).hexEncoded)
        #expect(digest.size == Int64(size))
        let manifest = digest.manifest
        #expect(manifest.blockSize == 128 << 10)
        #expect(manifest.blocks.count == (size + manifest.blockSize - 1) / manifest.blockSize)
        for index in manifest.blocks.indices {
            let range = manifest.range(ofBlock: index)
            let expected = SHA256.hash(data: bytes[Int(range.lowerBound)...Int(range.upperBound)])
            #expect(manifest.blocks[index] == BlockHash(digest: expected))
        }
    }

    @Test func theStoredFormRoundTripsAndEveryCorruptionIsRefused() throws {
        var hasher = ContentHasher(expectedSize: 300_000)
        let bytes = [UInt8](repeating: 7, count: 300_000)
        bytes.withUnsafeBytes { hasher.update($0) }
        let manifest = try hasher.finalize().manifest
        let stored = manifest.encoded()
        #expect(try BlockManifest(decoding: stored) == manifest)
        #expect(manifest.blocks[0] == manifest.blocks[1], "identical blocks have one name")
        #expect(manifest.blocks(covering: 0...0) == 0...0)
        #expect(manifest.blocks(covering: 131_071...131_072) == 0...1)
        #expect(manifest.blocks(covering: 299_999...299_999) == 2...2)
        #expect(manifest.range(ofBlock: 2) == 262_144...299_999)

        var corruptions: [ByteBuffer] = [ByteBuffer(), stored.getSlice(at: 0, length: stored.readableBytes - 1)!]
        for (offset, value) in [(0, UInt8(0x41)), (8, 0xff), (11, 0x01), (12, 0xff), (52, 0xff), (55, 0x02)] {
            var copy = stored
            copy.setInteger(value, at: offset)
            corruptions.append(copy)
        }
        var longer = stored
        longer.writeBytes([UInt8](repeating: 0, count: 32))
        corruptions.append(longer)
        for corrupt in corruptions {
            #expect(throws: InvalidInput.self) { try BlockManifest(decoding: corrupt) }
        }
    }

    @Test func aManifestMadeFromAnEstimateKeepsItsBlockSize() throws {
        // A form upload estimates the file's size from its request; the manifest says what it used.
        var hasher = ContentHasher(expectedSize: 1 << 30)
        [UInt8](repeating: 1, count: 3 << 20).withUnsafeBytes { hasher.update($0) }
        let manifest = try hasher.finalize().manifest
        #expect(manifest.blockSize == 1 << 20 && manifest.blocks.count == 3)
        #expect(try BlockManifest(decoding: manifest.encoded()) == manifest)
    }

    @Test func blockHashesReadTheirHexBackAndRefuseOtherText() {
        let hash = BlockHash(digest: SHA256.hash(data: [1, 2, 3]))!
        #expect(BlockHash(hex: hash.hex) == hash)
        #expect(BlockHash(hex: hash.hex.uppercased()) == nil)
        #expect(BlockHash(hex: String(hash.hex.dropLast())) == nil)
        #expect(BlockHash(hex: String(hash.hex.dropLast()) + "g") == nil)
        #expect(BlockHash(digest: [UInt8](repeating: 0, count: 31)) == nil)
    }
}
