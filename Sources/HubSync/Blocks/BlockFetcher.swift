import Foundation
import HubCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Fetches the blocks of a peer's video from the hubs that hold it, on demand: each block from
/// the least busy holder, verified against the manifest before a byte of it is handed on, and
/// kept in the `BlockCache`. A holder that times out, refuses or sends a block whose hash does
/// not match is skipped for that block, penalised (ranked after the others for a while, written
/// to the sync log, counted) and the block comes from the next holder.
///
/// Two requests for one block share one fetch. Read-ahead (the blocks after a range, so playback
/// does not wait on the next request) is queued to this service's own loop, which runs beside
/// the web server under the service group: no task outlives the hub.
public final class BlockFetcher: Service, Sendable {
    public struct Settings: Sendable {
        /// Blocks fetched at once for one range.
        public var parallel = 4
        /// Blocks after a range fetched ahead of the player asking for them.
        public var readAhead = 4
        /// How long a penalised holder is ranked after the others.
        public var penalty: Duration = .seconds(60)

        public init() {}
    }

    public let cache: BlockCache
    let transport: any PeerTransport
    let settings: Settings
    let metrics: SyncMetrics
    let record: @Sendable (SyncLogEntry) -> Void
    let clock: any WallClock
    let logger: Logger
    private let holders = Mutex<[PeerAddress: HolderLoad]>([:])
    private let fetching = Mutex<[BlockHash: Task<ByteBuffer, any Error>]>([:])
    private let readAheads: AsyncStream<ReadAhead>
    private let readAheadQueue: AsyncStream<ReadAhead>.Continuation
    /// Verified blocks on their way into the cache, served from memory meanwhile, so a reader
    /// never waits for the store's write (on local disk, an fsync per block) before its bytes go
    /// out. Only while this service runs (its loop writes them), and at most `writeBehindBytes`
    /// (what it adds to the hub's memory at most): past that, a fetch writes its block itself.
    private let writeBehind = Mutex(WriteBehind())
    private let writes: AsyncStream<BlockHash>
    private let writeQueue: AsyncStream<BlockHash>.Continuation
    static let writeBehindBytes = 32 << 20
    /// Blocks written into the store at once by the write-behind loop.
    static let writers = 4

    struct WriteBehind {
        var running = false
        var blocks: [BlockHash: ByteBuffer] = [:]
        var bytes = 0
    }

    /// What is known of a holder's load and behaviour.
    struct HolderLoad {
        var inFlight = 0
        var penalisedUntil: Date?
    }

    /// A holder of a video's blocks: where it listens and how to name it in the sync log.
    public struct Holder: Sendable, Hashable {
        public var address: PeerAddress
        public var name: String

        public init(address: PeerAddress, name: String) {
            self.address = address
            self.name = name
        }
    }

    struct ReadAhead: Sendable {
        var blocks: ClosedRange<Int>
        var video: VideoID
        var manifest: BlockManifest
        var holders: [Holder]
    }

    public init(
        cache: BlockCache, transport: any PeerTransport, settings: Settings = Settings(), metrics: SyncMetrics, clock: any WallClock,
        logger: Logger, record: @escaping @Sendable (SyncLogEntry) -> Void
    ) {
        self.cache = cache
        self.transport = transport
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.record = record
        // A player seeking often asks for more read-ahead than is worth fetching: the newest win.
        (readAheads, readAheadQueue) = AsyncStream.makeStream(of: ReadAhead.self, bufferingPolicy: .bufferingNewest(16))
        (writes, writeQueue) = AsyncStream.makeStream(of: BlockHash.self)
    }

    /// Loads the cache's index, then fetches queued read-ahead until the hub stops. A store that
    /// cannot be listed at start costs only the index (blocks already kept are fetched again and
    /// the leftovers indexed at the next start), never the hub.
    public func run() async throws {
        // Writes queued before the loop below starts wait in the stream.
        writeBehind.withLock { $0.running = true }
        do {
            try await cache.load()
        } catch {
            logger.warning("could not index the blocks kept from peers; starting with an empty cache", metadata: ["error": "\(error)"])
        }
        // Blocks still waiting at shutdown are dropped: they are a cache, fetched again if needed.
        defer { writeBehind.withLock { $0 = WriteBehind() } }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.writeBlocksBehind() }
                for await request in self.readAheads {
                    group.addTask {
                        for index in request.blocks {
                            // Only what is missing: reading a kept block back would cost a read and a hash for nothing.
                            let hash = request.manifest.blocks[index]
                            if self.writeBehind.withLock({ $0.blocks[hash] != nil }) { continue }
                            if await self.cache.holds([hash]) { continue }
                            _ = try? await self.block(index, of: request.video, manifest: request.manifest, from: request.holders)
                        }
                    }
                }
            }
        }
    }

    private func writeBlocksBehind() async {
        await withTaskGroup(of: Void.self) { writers in
            var active = 0
            for await hash in writes {
                if active == Self.writers {
                    await writers.next()
                    active -= 1
                }
                active += 1
                writers.addTask {
                    guard let block = self.writeBehind.withLock({ $0.blocks[hash] }) else { return }
                    await self.insert(block, as: hash)
                    self.writeBehind.withLock { state in
                        if state.blocks.removeValue(forKey: hash) != nil { state.bytes -= block.readableBytes }
                    }
                }
            }
        }
    }

    /// Hands a verified block to the cache: behind the reader when there is room, else now.
    private func keep(_ block: ByteBuffer, as hash: BlockHash) async {
        let queued = writeBehind.withLock { state -> Bool in
            if state.blocks[hash] != nil { return true }
            guard state.running, state.bytes + block.readableBytes <= Self.writeBehindBytes else { return false }
            state.blocks[hash] = block
            state.bytes += block.readableBytes
            return true
        }
        if queued {
            writeQueue.yield(hash)
        } else {
            await insert(block, as: hash)
        }
    }

    private func insert(_ block: ByteBuffer, as hash: BlockHash) async {
        do {
            try await cache.insert(block, as: hash)
        } catch {
            logger.warning("could not keep a fetched block", metadata: ["error": "\(error)"])
        }
    }

    /// Returns once every block fetched so far is in the cache (the replica keeper asks, before
    /// it offers a video as whole).
    public func settled() async throws {
        while writeBehind.withLock({ !$0.blocks.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
    }

    // MARK: - Ranges

    /// The bytes of `range` of the video, in order, each block verified before any of its bytes
    /// is yielded. The first block is had before this returns, so a video no holder can send is
    /// a clean error before an answer starts, not a stream cut short. Then pulled: up to
    /// `parallel` blocks ahead of the reader are on their way, so a slow player holds the fetching
    /// back instead of filling memory; the blocks after the range are queued for read-ahead once
    /// the first bytes are out (they must not compete with them). `info` describes the video as
    /// the stream route reports it. Throws `PeerUnanswered` when a block cannot be had from any
    /// holder.
    public func bytes(
        _ range: ClosedRange<Int64>, of video: VideoID, manifest: BlockManifest, from holders: [Holder], info: ObjectInfo
    ) async throws -> ObjectByteStream {
        let blocks = manifest.blocks(covering: range)
        let first = try await block(blocks.lowerBound, of: video, manifest: manifest, from: holders)
        let ahead = (blocks.upperBound + 1)..<min(manifest.blocks.count, blocks.upperBound + 1 + settings.readAhead)
        let readAhead = ahead.isEmpty
            ? nil : ReadAhead(blocks: ahead.lowerBound...(ahead.upperBound - 1), video: video, manifest: manifest, holders: holders)
        let readAheadQueued = Mutex(false)
        let window = FetchWindow(blocks: blocks, width: settings.parallel, first: first) { index in
            try await self.block(index, of: video, manifest: manifest, from: holders)
        }
        return ObjectByteStream(info: info, count: range.upperBound - range.lowerBound + 1) { [readAheadQueue] in
            guard let (index, block) = try await window.next() else { return nil }
            if let readAhead, !readAheadQueued.withLock({ queued in defer { queued = true }; return queued }) {
                readAheadQueue.yield(readAhead)
            }
            let blockRange = manifest.range(ofBlock: index)
            let from = Int(max(range.lowerBound, blockRange.lowerBound) - blockRange.lowerBound)
            let to = Int(min(range.upperBound, blockRange.upperBound) - blockRange.lowerBound)
            return block.getSlice(at: block.readerIndex + from, length: to - from + 1)
        }
    }

    // MARK: - Blocks

    /// Block `index` of the video, from the cache or else from a holder, verified.
    public func block(_ index: Int, of video: VideoID, manifest: BlockManifest, from holders: [Holder]) async throws -> ByteBuffer {
        let hash = manifest.blocks[index]
        if let waiting = writeBehind.withLock({ $0.blocks[hash] }) { return waiting }
        if let cached = try? await cache.block(hash) { return cached }
        let (task, mine) = fetching.withLock { fetching in
            if let task = fetching[hash] { return (task, false) }
            let task = Task { try await self.fetch(index, of: video, manifest: manifest, from: holders) }
            fetching[hash] = task
            return (task, true)
        }
        defer { if mine { _ = fetching.withLock { $0.removeValue(forKey: hash) } } }
        // Shared, so one asker going away does not cancel it: it finishes for the cache.
        return try await task.value
    }

    private func fetch(_ index: Int, of video: VideoID, manifest: BlockManifest, from holders: [Holder]) async throws -> ByteBuffer {
        let hash = manifest.blocks[index]
        let expected = Int(manifest.range(ofBlock: index).count)
        var problems: [String] = []
        for holder in ranked(holders) {
            updateLoad(of: holder.address) { $0.inFlight += 1 }
            defer { updateLoad(of: holder.address) { $0.inFlight -= 1 } }
            let problem: String
            do {
                let answer = try await transport.fetch(
                    PeerMessage.BlocksRequest(video: video, index: index), from: holder.address, limit: expected)
                let block = answer.bytes
                if block.readableBytes == expected, answer.sha256 == hash {
                    metrics.update {
                        $0.blocksFetched += 1
                        $0.blockBytesFetched += Int64(expected)
                    }
                    await keep(block, as: hash)
                    return block
                }
                problem = "sent \(block.readableBytes) bytes for block \(index) of video \(video) that do not match its hash"
            } catch {
                problem = "could not send block \(index) of video \(video): \(error)"
            }
            penalise(holder, problem)
            problems.append("\(holder.name): \(problem)")
        }
        throw PeerUnanswered(
            problems.isEmpty ? "no hub holds video \(video)" : "no holder sent block \(index) intact: " + problems.joined(separator: "; "))
    }

    /// Holders least busy first, penalised ones last, ties in random order so load spreads.
    private func ranked(_ candidates: [Holder]) -> [Holder] {
        let now = clock.now()
        let loads = holders.withLock { holders in candidates.map { holders[$0.address] ?? HolderLoad() } }
        return zip(candidates, loads).map { ($0, $1, Int.random(in: 0..<1 << 30)) }
            .sorted { a, b in
                let (aPenalised, bPenalised) = (a.1.penalisedUntil.map { $0 > now } ?? false, b.1.penalisedUntil.map { $0 > now } ?? false)
                if aPenalised != bPenalised { return !aPenalised }
                return (a.1.inFlight, a.2) < (b.1.inFlight, b.2)
            }
            .map(\.0)
    }

    private func updateLoad(of address: PeerAddress, _ change: (inout HolderLoad) -> Void) {
        holders.withLock { change(&$0[address, default: HolderLoad()]) }
    }

    private func penalise(_ holder: Holder, _ problem: String) {
        let now = clock.now()
        updateLoad(of: holder.address) { $0.penalisedUntil = now.addingTimeInterval(settings.penalty.seconds) }
        metrics.update { $0.blocksRefused += 1 }
        logger.warning("skipped a holder for a block", metadata: ["peer": "\(holder.name)", "problem": "\(problem)"])
        record(SyncLogEntry(at: now, event: .refused, peer: holder.name, summary: problem))
    }
}

/// The blocks of a range being fetched for one reader: up to the next `width` blocks are on their
/// way while it reads, and what it has not read yet is cancelled when it goes away.
final class FetchWindow: Sendable {
    private struct State {
        var cursor: Int
        var started: Int
        var first: ByteBuffer?
        var tasks: [Int: Task<ByteBuffer, any Error>] = [:]
    }

    private let state: Mutex<State>
    private let blocks: ClosedRange<Int>
    private let width: Int
    private let fetch: @Sendable (Int) async throws -> ByteBuffer

    /// `first`, when given, is the first block, already had.
    init(blocks: ClosedRange<Int>, width: Int, first: ByteBuffer? = nil, fetch: @escaping @Sendable (Int) async throws -> ByteBuffer) {
        self.blocks = blocks
        self.width = max(1, width)
        self.fetch = fetch
        self.state = Mutex(State(cursor: blocks.lowerBound, started: blocks.lowerBound, first: first))
    }

    deinit {
        state.withLock { $0.tasks.values.forEach { $0.cancel() } }
    }

    /// The next block in order, with its index; nil after the last.
    func next() async throws -> (Int, ByteBuffer)? {
        let had: (Int, ByteBuffer)? = state.withLock { state in
            guard let first = state.first else { return nil }
            state.first = nil
            state.cursor += 1
            state.started = state.cursor
            return (blocks.lowerBound, first)
        }
        if let had { return had }
        let next: (Int, Task<ByteBuffer, any Error>)? = state.withLock { state in
            guard state.cursor <= blocks.upperBound else { return nil }
            // Slow start: only the block asked for, then one more ahead, then up to `width` as
            // the reader keeps reading, so a player that seeks, reads a little and hangs up costs
            // two blocks, not a window. (The socket takes a whole block at once, so the second is
            // asked for the moment the first is handed on, long before the player has read it.)
            let read = state.cursor - blocks.lowerBound
            let allowed = min(width, 1 << min(max(read - 1, 0), 16))
            while state.started <= blocks.upperBound, state.started < state.cursor + allowed {
                let index = state.started
                state.tasks[index] = Task { [fetch] in try await fetch(index) }
                state.started += 1
            }
            return (state.cursor, state.tasks[state.cursor]!)
        }
        guard let (index, task) = next else { return nil }
        let block = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        state.withLock { state in
            state.tasks[index] = nil
            state.cursor += 1
        }
        return (index, block)
    }
}
