import Foundation
import HubCore
import HubStorage
import Logging
import NIOCore
import Synchronization
import Testing

@testable import HubSync

/// The fetch scheduler's logic over the in-memory transport, with the block cache on a real
/// local object store: ranges come back byte for byte from several holders, a holder that sends
/// corrupt blocks or cannot be reached is skipped block by block and logged, verified blocks are
/// kept within the budget, and the cache survives a restart without serving a rotten block.
@Suite struct BlockFetcherTests {
    typealias MemoryLibrary = PeerBlocksTests.MemoryLibrary
    static let size = 1_000_000  // eight blocks of 128 KiB, the last one short

    /// Holders of one video (some corrupt), a hub that fetches from them, and its sync log.
    struct Swarm {
        let peers = InMemoryPeers()
        let video: MemoryLibrary
        let holders: [MemoryHub]
        let asker: MemoryHub
        let fetcher: BlockFetcher
        let store: LocalObjectStore
        let log = SyncLogRecorder()

        init(
            corrupt: [Bool], budget: Int64 = 1 << 30, directory: String = NSTemporaryDirectory() + "blocks-" + UUID().uuidString,
            video: MemoryLibrary? = nil
        ) throws {
            let video = try video ?? MemoryLibrary(size: BlockFetcherTests.size)
            self.video = video
            let peers = peers
            holders = try corrupt.enumerated().map { index, corrupt in
                var library = video
                library.corrupt = corrupt
                return try MemoryHub("holder-\(index)", port: 7200 + index, peers: peers, clock: ManualClock(), library: library)
            }
            asker = try MemoryHub("asker", port: 7299, peers: peers, clock: ManualClock())
            store = LocalObjectStore(baseDirectory: directory)
            var logger = Logger(label: "fetcher")
            logger.logLevel = .critical
            let log = log
            fetcher = BlockFetcher(
                cache: BlockCache(store: store, budget: budget), transport: asker.network.transport, metrics: asker.network.metrics,
                clock: ManualClock(), logger: logger) { entry in log.entries.withLock { $0.append(entry) } }
        }

        var holderList: [BlockFetcher.Holder] { holders.map { .init(address: $0.address, name: $0.network.identity.name) } }

        func read(_ range: ClosedRange<Int64>, from holders: [BlockFetcher.Holder]? = nil) async throws -> [UInt8] {
            let info = ObjectInfo(key: try ObjectKey("peer-video"), size: Int64(video.bytes.count), modifiedAt: Date())
            var bytes: [UInt8] = []
            for try await chunk in try await fetcher.bytes(range, of: video.id, manifest: video.manifest, from: holders ?? holderList, info: info) {
                bytes += chunk.readableBytesView
            }
            return bytes
        }
    }

    @Test func rangesArriveByteForByteFromSeveralHoldersAndAreKept() async throws {
        let swarm = try Swarm(corrupt: [false, false, false])
        for range: ClosedRange<Int64> in [0...0, 100...300_000, 131_072...262_143, 999_000...999_999, 0...999_999] {
            #expect(try await swarm.read(range) == Array(swarm.video.bytes[Int(range.lowerBound)...Int(range.upperBound)]))
        }
        let fetched = swarm.peers.delivered("blocks")
        #expect(fetched == 8, "each block fetched once, then read from the cache")
        #expect(await swarm.fetcher.cache.usage.blocks == 8)
        #expect(await swarm.fetcher.cache.usage.bytes == Int64(Self.size))
        let served = swarm.holders.map { $0.network.metrics.snapshot(discoverySeconds: nil).blocksSent }
        #expect(served.reduce(0, +) == 8)
        #expect(swarm.log.entries.withLock { $0.isEmpty })
    }

    @Test func aCorruptHolderIsSkippedBlockByBlockAndLogged() async throws {
        let swarm = try Swarm(corrupt: [true, false])
        let corrupt = swarm.holderList[0]
        // The corrupt holder alone: nothing is served, and the refusal is in the sync log.
        await #expect(throws: PeerUnanswered.self) { try await swarm.read(0...10, from: [corrupt]) }
        #expect(await swarm.fetcher.cache.usage.blocks == 0, "an unverified block is never kept")
        let refusals = swarm.log.entries.withLock { $0 }
        #expect(refusals.count == 1 && refusals[0].event == .refused && refusals[0].peer == "holder-0")
        #expect(refusals[0].summary.contains("do not match its hash"))
        // With an honest holder beside it, every block comes intact.
        #expect(try await swarm.read(0...999_999) == swarm.video.bytes)
        #expect(swarm.asker.network.metrics.snapshot(discoverySeconds: nil).blocksRefused >= 1)
    }

    @Test func anUnreachableHolderIsSkippedForTheNext() async throws {
        let swarm = try Swarm(corrupt: [false, false])
        swarm.peers.partition([[swarm.asker.address, swarm.holders[1].address], [swarm.holders[0].address]])
        #expect(try await swarm.read(0...999_999) == swarm.video.bytes)
        #expect(swarm.holders[0].network.metrics.snapshot(discoverySeconds: nil).blocksSent == 0)
        swarm.peers.partition([[swarm.asker.address]])
        await #expect(throws: Never.self) { try await swarm.read(0...999_999) }  // kept: no holder needed
    }

    @Test func aReaderThatStopsStopsTheFetchingAndReadersOfOneBlockShareOneFetch() async throws {
        let swarm = try Swarm(corrupt: [false])
        let info = ObjectInfo(key: try ObjectKey("peer-video"), size: Int64(Self.size), modifiedAt: Date())
        // Pulled, with a window that widens as the reader reads: a reader that takes one slice of
        // the whole file and goes away has caused the first block to be fetched, not eight.
        do {
            var reader = try await swarm.fetcher.bytes(0...999_999, of: swarm.video.id, manifest: swarm.video.manifest, from: swarm.holderList, info: info)
                .makeAsyncIterator()
            _ = try await reader.next()
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(swarm.peers.delivered("blocks") == 1)

        // Ten readers of one block that is not kept yet: one fetch.
        let before = swarm.peers.delivered("blocks")
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<10 { group.addTask { try await swarm.read(917_504...917_600) } }
            for try await bytes in group { #expect(bytes == Array(swarm.video.bytes[917_504...917_600])) }
        }
        #expect(swarm.peers.delivered("blocks") == before + 1)
    }

    @Test func identicalBlocksAreKeptOnce() async throws {
        // Eight blocks, the first seven alike: two blocks kept.
        let bytes = [UInt8](repeating: 0x5a, count: 7 * 131_072) + [1, 2, 3]
        let swarm = try Swarm(corrupt: [false], video: MemoryLibrary(bytes: bytes))
        #expect(try await swarm.read(0...Int64(bytes.count - 1)) == bytes)
        let usage = await swarm.fetcher.cache.usage
        #expect(usage.blocks == 2 && usage.bytes == 131_072 + 3)
    }

    @Test func theCacheKeepsTheMostRecentlyUsedWithinItsBudgetAndSurvivesARestart() async throws {
        let directory = NSTemporaryDirectory() + "blocks-" + UUID().uuidString
        let swarm = try Swarm(corrupt: [false], budget: 3 * 131_072, directory: directory)
        _ = try await swarm.read(0...131_071)  // block 0
        _ = try await swarm.read(131_072...131_072)  // block 1
        _ = try await swarm.read(262_144...262_144)  // block 2
        _ = try await swarm.read(0...0)  // block 0 used again
        _ = try await swarm.read(393_216...393_216)  // block 3: block 1 goes
        let usage = await swarm.fetcher.cache.usage
        #expect(usage.blocks == 3 && usage.bytes == 3 * 131_072)
        let before = swarm.peers.delivered("blocks")
        _ = try await swarm.read(0...0)
        _ = try await swarm.read(262_144...262_144)
        #expect(swarm.peers.delivered("blocks") == before, "blocks 0 and 2 were kept")
        _ = try await swarm.read(131_072...131_072)
        #expect(swarm.peers.delivered("blocks") == before + 1, "block 1 was evicted")

        // A restart: the index comes back from the store; a block rotten on disk is a miss,
        // fetched again, never served; a file that is not a block is removed.
        let restarted = BlockCache(store: swarm.store, budget: 1 << 30)
        let rotten = BlockCache.key(of: swarm.video.manifest.blocks[0])
        let stray = try ObjectKey("blocks/zz/not-a-block")
        _ = try await swarm.store.put(rotten, bytes: ByteBuffer(repeating: 0, count: 131_072), contentType: nil)
        _ = try await swarm.store.put(stray, bytes: ByteBuffer(string: "x"), contentType: nil)
        try await restarted.load()
        #expect(await restarted.usage.blocks == 3)
        #expect(try await restarted.block(swarm.video.manifest.blocks[0]) == nil)
        #expect(try await restarted.block(swarm.video.manifest.blocks[1]) != nil)
        #expect(await restarted.usage.blocks == 2)
        await #expect(throws: ObjectStoreError.self) { try await swarm.store.head(stray) }
        await #expect(throws: ObjectStoreError.self) { try await swarm.store.head(rotten) }

        // Verified once, a block is trusted, but its length is checked on every read: one cut
        // short on disk is a miss, not a short answer.
        let cut = BlockCache.key(of: swarm.video.manifest.blocks[1])
        _ = try await swarm.store.put(cut, bytes: ByteBuffer(repeating: 1, count: 1000), contentType: nil)
        #expect(try await restarted.block(swarm.video.manifest.blocks[1]) == nil)
        #expect(await restarted.usage.blocks == 1)
    }

    @Test func withTheServiceRunningBlocksAreWrittenBehindTheReader() async throws {
        let swarm = try Swarm(corrupt: [false])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await swarm.fetcher.run() }
            while !(await swarm.fetcher.cache.isLoaded) { try await Task.sleep(for: .milliseconds(1)) }
            #expect(try await swarm.read(0...Int64(BlockFetcherTests.size - 1)) == swarm.video.bytes)
            // Served from memory while on their way; then every one is in the store.
            try await swarm.fetcher.settled()
            #expect(await swarm.fetcher.cache.holds(swarm.video.manifest.blocks))
            let before = swarm.peers.delivered("blocks")
            #expect(try await swarm.read(0...Int64(BlockFetcherTests.size - 1)) == swarm.video.bytes)
            #expect(swarm.peers.delivered("blocks") == before, "read again from the cache")
            group.cancelAll()
        }
    }

    @Test func pinnedBlocksStayOutsideTheBudgetUntilUnpinned() async throws {
        let swarm = try Swarm(corrupt: [false], budget: 2 * 131_072)
        let cache = swarm.fetcher.cache
        let blocks = swarm.video.manifest.blocks
        // Blocks 0 to 3 pinned before they arrive (as a replica pins them), then fetched.
        await cache.pin(blocks[0...3])
        _ = try await swarm.read(0...(4 * 131_072 - 1))
        // Then four unpinned blocks pass through a budget of two.
        _ = try await swarm.read((4 * 131_072)...Int64(BlockFetcherTests.size - 1))
        #expect(await cache.holds(blocks[0...3]), "pinned blocks are never evicted")
        let pinned = await cache.pinned
        #expect(pinned.blocks == 4 && pinned.bytes == 4 * 131_072)
        #expect(await cache.usage.bytes - pinned.bytes <= cache.budget)
        // Pinned twice (two videos share a block), unpinned once: still pinned.
        await cache.pin([blocks[0]])
        await cache.unpin(blocks[0...3])
        let onePinned = await cache.pinned
        #expect(onePinned.blocks == 1)
        #expect(await cache.usage.bytes - onePinned.bytes <= cache.budget, "the others are cache again, within the budget")
        await cache.remove([blocks[0]])
        let nonePinned = await cache.pinned
        #expect(nonePinned.blocks == 0 && nonePinned.bytes == 0)
    }

    @Test func aReplicaThatLostABlockIsNoLongerOfferedWhole() async throws {
        let swarm = try Swarm(corrupt: [false])
        let replicas = ReplicaLibrary(cache: swarm.fetcher.cache, store: swarm.store)
        let video = swarm.video
        await replicas.pin(video.id, video.manifest)
        _ = try await swarm.read(0...Int64(BlockFetcherTests.size - 1))
        replicas.markWhole(video.id)
        #expect(try await replicas.manifest(of: video.id) == video.manifest)
        let whole = try #require(try await replicas.bytes(ofBlocks: 0...2, of: video.id, in: video.manifest))
        var served = 0
        for try await chunk in whole { served += chunk.readableBytes }
        #expect(served == 3 * 131_072)

        // A block gone from the disk: the peer asking gets an error, not a short answer, and the
        // video is no longer offered until the keeper fetches the block again.
        try await swarm.store.delete(BlockCache.key(of: video.manifest.blocks[1]))
        let broken = try #require(try await replicas.bytes(ofBlocks: 0...2, of: video.id, in: video.manifest))
        await #expect(throws: PeerUnanswered.self) { for try await _ in broken {} }
        #expect(!replicas.isWhole(video.id))
        #expect(try await replicas.manifest(of: video.id) == nil)
    }

    @Test func replicaPlacementIsTheSameEverywhereAndMovesLittle() {
        let nodes = (0..<8).map { _ in NodeID.random() }
        let origin = nodes[0]
        let videos = (0..<400).map { _ in VideoID() }
        for video in videos {
            let chosen = ReplicaPlacement.holders(of: video, origin: origin, among: nodes, count: 2)
            #expect(chosen.count == 2 && !chosen.contains(origin))
            #expect(ReplicaPlacement.holders(of: video, origin: origin, among: nodes.reversed(), count: 2) == chosen, "order of the list does not matter")
        }
        // One hub goes: only the videos it held get a new holder, and the rest stay put.
        let gone = nodes[3]
        var moved = 0
        for video in videos {
            let before = ReplicaPlacement.holders(of: video, origin: origin, among: nodes, count: 1)
            let after = ReplicaPlacement.holders(of: video, origin: origin, among: nodes.filter { $0 != gone }, count: 1)
            if before != after {
                #expect(before == [gone])
                moved += 1
            }
        }
        #expect(moved > 0 && moved < videos.count / 3, "about 1/7 of the videos move, not all")
        #expect(ReplicaPlacement.holders(of: videos[0], origin: origin, among: [origin], count: 3).isEmpty)
    }
}

final class SyncLogRecorder: Sendable {
    let entries = Mutex<[SyncLogEntry]>([])
}
