import Crypto
import Foundation
import HubCore
import NIOCore
import Synchronization
import Testing

@testable import HubSync

/// The block requests' logic through the in-memory transport (the real hubs' peer port is tested
/// end to end in `test_peer_videos.py`): runs are checked against the manifest before any
/// arithmetic, answers arrive whole and within the asker's limit, and only shared videos answer.
@Suite struct PeerBlocksTests {
    /// A library holding one shared video's bytes in memory.
    struct MemoryLibrary: SharedLibrary {
        let id: VideoID
        let bytes: [UInt8]
        let manifest: BlockManifest
        /// A holder that sends blocks with one byte flipped.
        var corrupt = false

        init(size: Int, id: VideoID = VideoID(), corrupt: Bool = false) throws {
            var random = SplitMix64(seed: UInt64(size))
            try self.init(bytes: (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }, id: id, corrupt: corrupt)
        }

        init(bytes: [UInt8], id: VideoID = VideoID(), corrupt: Bool = false) throws {
            self.id = id
            self.corrupt = corrupt
            let size = bytes.count
            self.bytes = bytes
            let blockSize = BlockManifest.blockSize(forFileSize: Int64(size))
            let blocks = stride(from: 0, to: size, by: blockSize).map {
                BlockHash(digest: SHA256.hash(data: bytes[$0..<min(size, $0 + blockSize)]))!
            }
            manifest = try BlockManifest(
                blockSize: blockSize, size: Int64(size), sha256: SHA256.hash(data: bytes).hexEncoded, blocks: blocks)
        }

        func manifest(of video: VideoID) async throws -> BlockManifest? { video == id ? manifest : nil }
        func thumbnail(of video: VideoID) async throws -> ObjectByteStream? { nil }

        func bytes(ofBlocks blocks: ClosedRange<Int>, of video: VideoID, in manifest: BlockManifest) async throws -> ObjectByteStream? {
            guard video == id else { return nil }
            let range = manifest.range(ofBlocks: blocks)
            var bytes = Array(bytes[Int(range.lowerBound)...Int(range.upperBound)])
            if corrupt { bytes[bytes.count / 2] ^= 0x40 }
            let slice = bytes
            let sent = Mutex(false)
            let info = ObjectInfo(key: try ObjectKey("memory"), size: Int64(bytes.count), modifiedAt: Date())
            return ObjectByteStream(info: info, count: Int64(slice.count)) {
                sent.withLock { done in
                    defer { done = true }
                    return done ? nil : ByteBuffer(bytes: slice)
                }
            }
        }
    }

    @Test func blocksAreServedWithinTheManifestAndTheAskersLimit() async throws {
        let peers = InMemoryPeers()
        let library = try MemoryLibrary(size: 1_000_000)
        let origin = try MemoryHub("origin", port: 7101, peers: peers, clock: ManualClock(), library: library)
        let asker = try MemoryHub("asker", port: 7102, peers: peers, clock: ManualClock())
        let transport = asker.network.transport

        let stored = try await transport.fetch(PeerMessage.ManifestRequest(video: library.id), from: origin.address, limit: 1 << 20).bytes
        #expect(try BlockManifest(decoding: stored) == library.manifest)
        let run = try await transport.fetch(PeerMessage.BlocksRequest(video: library.id, index: 6, count: 2), from: origin.address, limit: 1 << 20).bytes
        #expect(Array(run.readableBytesView) == Array(library.bytes[6 * 131_072..<1_000_000]), "the run ends at the short last block")

        // An answer larger than the asker takes is not taken.
        await #expect(throws: PeerUnanswered.self) {
            try await transport.fetch(PeerMessage.BlocksRequest(video: library.id, index: 0, count: 2), from: origin.address, limit: 200_000).bytes
        }
        // Runs outside the eight blocks, and the asker's own hub, which holds no shared videos.
        for (index, count) in [(-1, 1), (8, 1), (7, 2), (Int.max, 2), (1, Int.max), (0, 0), (0, 65)] {
            await #expect(throws: PeerUnanswered.self) {
                try await transport.fetch(PeerMessage.BlocksRequest(video: library.id, index: index, count: count), from: origin.address, limit: 1 << 30).bytes
            }
        }
        await #expect(throws: PeerUnanswered.self) {
            try await origin.network.transport.fetch(PeerMessage.ManifestRequest(video: library.id), from: asker.address, limit: 1 << 20).bytes
        }
        #expect(origin.network.metrics.snapshot(discoverySeconds: nil).blocksSent == 4)
    }

    @Test func runsAreCheckedBeforeAnyArithmetic() throws {
        let manifest = try MemoryLibrary(size: 300_000).manifest
        #expect(try PeerMessage.BlocksRequest(video: VideoID(), index: 1, count: 2).run(in: manifest) == 1...2)
        #expect(throws: PeerError.blocksOutside(count: 3)) { try PeerMessage.BlocksRequest(video: VideoID(), index: Int.max, count: 64).run(in: manifest) }
        #expect(throws: PeerError.blocksOutside(count: 3)) { try PeerMessage.BlocksRequest(video: VideoID(), index: Int.min, count: 1).run(in: manifest) }
        #expect(throws: PeerError.tooManyBlocks(limit: 64)) { try PeerMessage.BlocksRequest(video: VideoID(), index: 0, count: Int.min).run(in: manifest) }
    }
}
