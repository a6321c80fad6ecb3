import Foundation
import HubCore
import Logging
import NIOCore

/// `CACHE_DIR`: a read-through disk cache in front of a remote store (S3), within a byte budget, least recently used out first.
///
/// A read of an object not in the cache fetches the whole object once, into the cache, and is
/// then answered from disk, ranges included; readers that come while it is being fetched wait
/// for that one fetch instead of starting their own. Objects larger than a quarter of the budget
/// are not cached (one of them would push out everything else) and are read from the origin.
///
/// Writes go to the origin and drop the cached copy. Each instance needs its own `CACHE_DIR`:
/// the index of what is cached lives in this process, rebuilt from the directory at start.
public struct CachedObjectStore: ObjectStore {
    public let origin: any ObjectStore
    let cache: LocalObjectStore
    let index: CacheIndex

    public init(origin: any ObjectStore, directory: String, maxBytes: Int64, logger: Logger = Logger(label: "streamhub.cache")) {
        self.origin = origin
        self.cache = LocalObjectStore(baseDirectory: directory)
        self.index = CacheIndex(maxBytes: maxBytes, cache: cache, logger: logger)
    }

    public var statistics: CacheStatistics { get async { await index.statistics } }

    public func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream {
        switch try await index.locate(key, fetchingFrom: origin) {
        case .cached:
            do {
                return try await cache.read(key, range: range)
            } catch ObjectStoreError.notFound {
                // Removed from under the index (someone cleaned the directory): read through.
                await index.forget(key)
                return try await origin.read(key, range: range)
            }
        case .origin:
            return try await origin.read(key, range: range)
        }
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo {
        if let info = await index.cachedInfo(key) { return info }
        return try await origin.head(key)
    }

    public func put(_ key: ObjectKey, movingFileAt path: String, contentType: String?) async throws -> ObjectInfo {
        try await replacing(key) { try await origin.put(key, movingFileAt: path, contentType: contentType) }
    }

    public func put<Bytes: AsyncSequence & Sendable>(
        _ key: ObjectKey, from bytes: Bytes, size: Int64?, contentType: String?
    ) async throws -> ObjectInfo where Bytes.Element == ByteBuffer {
        try await replacing(key) { try await origin.put(key, from: bytes, size: size, contentType: contentType) }
    }

    public func copy(_ source: ObjectKey, to destination: ObjectKey) async throws -> ObjectInfo {
        try await replacing(destination) { try await origin.copy(source, to: destination) }
    }

    /// A write at the origin, with the cached copy dropped before (no reader gets it while the
    /// write runs) and after (a fetch that raced the write may have cached the old bytes).
    private func replacing(_ key: ObjectKey, _ write: () async throws -> ObjectInfo) async throws -> ObjectInfo {
        await index.drop(key)
        let info = try await write()
        await index.drop(key)
        return info
    }

    public func delete(_ key: ObjectKey) async throws {
        await index.drop(key)
        try await origin.delete(key)
    }

    public func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        try await origin.list(prefix: prefix, continuation: continuation, limit: limit)
    }

    public func presignedURL(for key: ObjectKey, expiresIn seconds: Int, contentType: String?) -> URL? {
        origin.presignedURL(for: key, expiresIn: seconds, contentType: contentType)
    }

    public func checkHealth() async throws {
        do {
            try await cache.checkHealth()
        } catch ObjectStoreError.unavailable(let message) {
            throw ObjectStoreError.unavailable("CACHE_DIR: \(message)")
        }
        try await origin.checkHealth()
    }
}

public struct CacheStatistics: Sendable, Equatable, Encodable {
    public var hits: Int
    public var misses: Int
    public var fetches: Int
    public var evictions: Int
    public var cachedBytes: Int64
    public var maxBytes: Int64

    /// Hits over all reads, 0 before the first read.
    public var hitRatio: Double { hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses) }

    enum CodingKeys: String, CodingKey { case hits, misses, fetches, evictions, cachedBytes, maxBytes, hitRatio }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hits, forKey: .hits)
        try container.encode(misses, forKey: .misses)
        try container.encode(fetches, forKey: .fetches)
        try container.encode(evictions, forKey: .evictions)
        try container.encode(cachedBytes, forKey: .cachedBytes)
        try container.encode(maxBytes, forKey: .maxBytes)
        try container.encode(hitRatio, forKey: .hitRatio)
    }
}

/// What is in the cache directory, in least-recently-used order, and the fetches in progress.
actor CacheIndex {
    enum Location {
        /// In the cache.
        case cached
        /// To be read from the origin: too large to cache, or replaced while it was fetched.
        case origin
    }

    private struct Entry {
        var info: ObjectInfo
        var lastUse: UInt64
        /// False for entries found in the directory at start, which know only size and time.
        var describedByOrigin: Bool
    }

    let maxBytes: Int64
    private let cache: LocalObjectStore
    private let logger: Logger
    private var entries: [ObjectKey: Entry] = [:]
    private var useCounter: UInt64 = 0
    private var cachedBytes: Int64 = 0
    private var fetches: [ObjectKey: Task<Location, any Error>] = [:]
    private var counts = (hits: 0, misses: 0, fetches: 0, evictions: 0)
    private var loaded = false

    init(maxBytes: Int64, cache: LocalObjectStore, logger: Logger) {
        self.maxBytes = maxBytes
        self.cache = cache
        self.logger = logger
    }

    var statistics: CacheStatistics {
        CacheStatistics(
            hits: counts.hits, misses: counts.misses, fetches: counts.fetches, evictions: counts.evictions, cachedBytes: cachedBytes,
            maxBytes: maxBytes)
    }

    /// Where a read of `key` is answered from, fetching the object into the cache first if it is
    /// not there (once, however many readers ask at the same time).
    func locate(_ key: ObjectKey, fetchingFrom origin: any ObjectStore) async throws -> Location {
        try await loadIfNeeded()
        if entries[key] != nil {
            counts.hits += 1
            useCounter += 1
            entries[key]?.lastUse = useCounter
            return .cached
        }
        counts.misses += 1
        if let fetch = fetches[key] { return try await fetch.value }
        // Not a child task: readers other than this one wait on it, and it must finish (and
        // record its result) even if this reader goes away.
        let fetch = Task { try await self.fetch(key, from: origin) }
        fetches[key] = fetch
        defer { fetches[key] = nil }
        return try await fetch.value
    }

    private func fetch(_ key: ObjectKey, from origin: any ObjectStore) async throws -> Location {
        let info = try await origin.head(key)
        guard info.size <= maxBytes / 4 else { return .origin }
        counts.fetches += 1
        // Reserved before the download, so fetches running side by side do not overfill.
        cachedBytes += info.size
        do {
            try await makeRoom()
            let bytes = try await origin.read(key, range: nil)
            _ = try await cache.put(key, from: bytes, size: bytes.count, contentType: info.contentType)
        } catch {
            cachedBytes -= info.size
            try? await cache.delete(key)
            throw error
        }
        if Task.isCancelled {
            // Written or deleted at the origin while it downloaded: this copy may be stale.
            cachedBytes -= info.size
            try? await cache.delete(key)
            return .origin
        }
        useCounter += 1
        entries[key] = Entry(info: info, lastUse: useCounter, describedByOrigin: true)
        return .cached
    }

    func cachedInfo(_ key: ObjectKey) -> ObjectInfo? {
        guard let entry = entries[key], entry.describedByOrigin else { return nil }
        return entry.info
    }

    /// Drops the cached copy of a key being written or deleted at the origin.
    func drop(_ key: ObjectKey) async {
        fetches[key]?.cancel()
        guard let entry = entries.removeValue(forKey: key) else { return }
        cachedBytes -= entry.info.size
        try? await cache.delete(key)
    }

    func forget(_ key: ObjectKey) {
        if let entry = entries.removeValue(forKey: key) { cachedBytes -= entry.info.size }
    }

    /// Evicts least recently used objects until the cache is within its budget. Readers with an
    /// object open keep reading it: the file goes, the open descriptor stays valid.
    private func makeRoom() async throws {
        guard cachedBytes > maxBytes else { return }
        let oldestFirst = entries.sorted { $0.value.lastUse < $1.value.lastUse }
        for (key, entry) in oldestFirst where cachedBytes > maxBytes {
            entries[key] = nil
            cachedBytes -= entry.info.size
            counts.evictions += 1
            try await cache.delete(key)
        }
    }

    /// The cache survives restarts: what is in the directory is indexed at the first read, oldest
    /// file first (the last use before the restart is not kept, the time of caching is).
    private func loadIfNeeded() async throws {
        guard !loaded else { return }
        loaded = true
        var found: [ObjectInfo] = []
        for try await object in cache.objects() { found.append(object) }
        for object in found.sorted(by: { $0.modifiedAt < $1.modifiedAt }) where entries[object.key] == nil {
            useCounter += 1
            entries[object.key] = Entry(info: object, lastUse: useCounter, describedByOrigin: false)
            cachedBytes += object.size
        }
        if !found.isEmpty { logger.info("disk cache loaded", metadata: ["objects": "\(found.count)", "bytes": "\(cachedBytes)"]) }
        try await makeRoom()
    }
}
