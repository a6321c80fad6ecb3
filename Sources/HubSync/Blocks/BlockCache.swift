import Crypto
import HubCore
import NIOCore

/// Blocks of peers' videos, kept in the hub's own object store (local disk or S3, like its own
/// videos) under `blocks/<2 hex>/<SHA-256>`, within `P2P_BLOCK_CACHE_BYTES`, least recently used
/// out first. Named by their hash, a block shared by two videos (or fetched twice) is stored once.
///
/// Only verified bytes are written, each block as one atomic put, so a hub killed mid-fetch
/// restarts with whole, correct blocks or none. The index is rebuilt from the store at start,
/// oldest first by modification time, and a block found there is verified again on its first
/// read (a store restored from elsewhere, or a disk that rotted it, makes a miss and a fresh
/// fetch, never wrong bytes served). From then on it is trusted as the hub's own videos are:
/// hashing every read cost 1.2 ms per MiB here, most of a seek's time, and a block served to a
/// peer is verified by that peer anyway. (IPFS's blockstore makes the same choice: hash-on-read
/// is off by default.) Its length is checked on every read.
///
/// Blocks of videos this hub keeps whole for others (replicas, and videos an admin pinned) are
/// pinned: counted apart from the budget and never evicted until unpinned. Pins live in memory;
/// the replica keeper pins again after a restart, finding the blocks already here.
public actor BlockCache {
    public nonisolated let budget: Int64
    let store: any ObjectStore
    private var entries: [BlockHash: Entry] = [:]
    /// Uses in order, oldest first; an item whose tick is not its entry's is stale and skipped.
    private var recency: [(tick: UInt64, hash: BlockHash)] = []
    private var recencyStart = 0
    private var tick: UInt64 = 0
    /// Bytes of unpinned blocks, which the budget bounds.
    public private(set) var bytes: Int64 = 0
    /// How many videos pin each block (a block two videos share is pinned twice).
    private var pins: [BlockHash: Int] = [:]
    public private(set) var pinnedBytes: Int64 = 0

    private struct Entry {
        var size: Int
        var tick: UInt64
        /// Whether its bytes were checked against its name since this hub started.
        var verified: Bool
    }

    static let prefix = "blocks/"

    public init(store: any ObjectStore, budget: Int64) {
        self.store = store
        self.budget = budget
    }

    static func key(of hash: BlockHash) -> ObjectKey {
        let hex = hash.hex
        return try! ObjectKey("\(prefix)\(hex.prefix(2))/\(hex)")  // hex digits only: always a valid key
    }

    /// Whether `load()` has run (to its end or to a failure): until then, `holds` does not know
    /// what a previous run kept.
    public private(set) var isLoaded = false

    /// How many blocks and bytes are kept, the pinned ones included.
    public var usage: (blocks: Int, bytes: Int64) { (entries.count, bytes + pinnedBytes) }
    /// How many blocks and bytes are pinned.
    public var pinned: (blocks: Int, bytes: Int64) { (entries.keys.filter { pins[$0] != nil }.count, pinnedBytes) }

    /// Whether every one of `hashes` is kept.
    public func holds(_ hashes: some Sequence<BlockHash>) -> Bool {
        hashes.allSatisfy { entries[$0] != nil }
    }

    /// Keeps `hashes` out of eviction (those kept now and those inserted later) until unpinned.
    public func pin(_ hashes: some Sequence<BlockHash>) {
        for hash in Set(hashes) {
            pins[hash, default: 0] += 1
            if pins[hash] == 1, let entry = entries[hash] {
                bytes -= Int64(entry.size)
                pinnedBytes += Int64(entry.size)
            }
        }
    }

    /// Lets `hashes` be evicted again, as the least recently used blocks they are.
    public func unpin(_ hashes: some Sequence<BlockHash>) async {
        for hash in Set(hashes) {
            guard let count = pins[hash] else { continue }
            if count > 1 {
                pins[hash] = count - 1
                continue
            }
            pins[hash] = nil
            if let entry = entries[hash] {
                pinnedBytes -= Int64(entry.size)
                bytes += Int64(entry.size)
                // Eviction passed over it while pinned: back in line as just used.
                touch(hash, size: entry.size, verified: entry.verified)
            }
        }
        await evict()
    }

    /// Rebuilds the index from the store: what a previous run kept, oldest first. Objects that
    /// are not blocks (a name that is not a hash) are removed; so is whatever exceeds the budget.
    public func load() async throws {
        defer { isLoaded = true }
        var found: [(info: ObjectInfo, hash: BlockHash)] = []
        for try await object in store.objects(prefix: Self.prefix) {
            guard let hash = BlockHash(hex: String(object.key.rawValue.split(separator: "/").last ?? "")),
                Self.key(of: hash) == object.key
            else {
                try? await store.delete(object.key)
                continue
            }
            found.append((object, hash))
        }
        for (info, hash) in found.sorted(by: { $0.info.modifiedAt < $1.info.modifiedAt }) where entries[hash] == nil {
            if pins[hash] != nil { pinnedBytes += info.size } else { bytes += info.size }
            touch(hash, size: Int(info.size), verified: false)
        }
        await evict()
    }

    /// The block named `hash`, verified, or nil when it is not kept (or no longer matches its
    /// name, in which case it is dropped).
    public func block(_ hash: BlockHash) async throws -> ByteBuffer? {
        guard let entry = entries[hash] else { return nil }
        let stored: ByteBuffer
        do {
            stored = try await store.contents(of: Self.key(of: hash), limit: BlockManifest.largestBlockSize)
        } catch ObjectStoreError.notFound {
            forget(hash)
            return nil
        }
        guard stored.readableBytes == entry.size, entry.verified || Self.verify(stored, is: hash) else {
            forget(hash)
            try? await store.delete(Self.key(of: hash))
            return nil
        }
        if entries[hash] != nil { touch(hash, size: entry.size, verified: true) }
        return stored
    }

    /// Keeps `block`, which the caller has verified to be `hash`, then evicts the least recently
    /// used blocks until the cache is within its budget again.
    public func insert(_ block: ByteBuffer, as hash: BlockHash) async throws {
        guard entries[hash] == nil else { return touch(hash, size: block.readableBytes, verified: entries[hash]!.verified) }
        _ = try await store.put(Self.key(of: hash), bytes: block, contentType: nil)
        if entries[hash] == nil {
            if pins[hash] != nil { pinnedBytes += Int64(block.readableBytes) } else { bytes += Int64(block.readableBytes) }
        }
        touch(hash, size: block.readableBytes, verified: true)
        await evict()
    }

    /// Drops `hashes` (the blocks of a video withdrawn by its origin) from the cache and the store.
    public func remove(_ hashes: [BlockHash]) async {
        for hash in Set(hashes) {
            let held = entries[hash] != nil
            forget(hash)
            pins[hash] = nil
            if held { try? await store.delete(Self.key(of: hash)) }
        }
    }

    public static func verify(_ block: ByteBuffer, is hash: BlockHash) -> Bool {
        BlockHash(block.withUnsafeReadableBytes { SHA256.hash(data: $0) }) == hash
    }

    private func touch(_ hash: BlockHash, size: Int, verified: Bool) {
        tick += 1
        entries[hash] = Entry(size: size, tick: tick, verified: verified)
        recency.append((tick, hash))
        // Stale items pile up as blocks are used again: compact when they are most of the list.
        if recency.count - recencyStart > 4 * entries.count + 64 {
            recency = recency[recencyStart...].filter { entries[$0.hash]?.tick == $0.tick }
            recencyStart = 0
        }
    }

    private func forget(_ hash: BlockHash) {
        guard let entry = entries.removeValue(forKey: hash) else { return }
        if pins[hash] != nil { pinnedBytes -= Int64(entry.size) } else { bytes -= Int64(entry.size) }
    }

    private func evict() async {
        while bytes > budget, recencyStart < recency.count {
            let (itemTick, hash) = recency[recencyStart]
            recencyStart += 1
            guard entries[hash]?.tick == itemTick, pins[hash] == nil else { continue }
            forget(hash)
            // Out of the index first: a failed delete leaves an orphan the next load removes or re-indexes.
            try? await store.delete(Self.key(of: hash))
        }
    }
}
