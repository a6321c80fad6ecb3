import Foundation
import HubCore
import NIOCore
import Testing

@testable import HubStorage

/// The disk cache in front of S3 (moto): what it keeps, what it drops, and that a crowd of
/// readers of one cold object costs one fetch.
@Suite struct CachedObjectStoreTests {
    let origin: S3ObjectStore
    let directory = NSTemporaryDirectory() + "cache-" + UUID().uuidString
    let prefix = "cached-\(UUID().uuidString)"

    init() throws {
        origin = try #require(MotoServer.shared, "moto_server is needed: scripts/setup.sh --test installs it").store()
    }

    func object(_ name: String, size: Int, seed: Int) async throws -> (ObjectKey, [UInt8]) {
        let key = try ObjectKey("\(prefix)/\(name)")
        let bytes = ObjectStoreConformanceTests.content(size, seed: seed)
        _ = try await origin.put(key, movingFileAt: try ObjectStoreConformanceTests.staged(bytes), contentType: "video/mp4")
        return (key, bytes)
    }

    func read(_ store: CachedObjectStore, _ key: ObjectKey, _ range: ClosedRange<Int64>? = nil) async throws -> [UInt8] {
        try await ObjectStoreConformanceTests.collect(store.read(key, range: range))
    }

    @Test func repeatedReadsAreHitsAndRangesComeFromTheCache() async throws {
        let cache = CachedObjectStore(origin: origin, directory: directory, maxBytes: 64 << 20)
        let (key, bytes) = try await object("a", size: 2_000_000, seed: 3)
        #expect(try await read(cache, key, 10...19) == Array(bytes[10...19]))
        for range: ClosedRange<Int64> in [0...0, 1_999_999...1_999_999, 1_000_000...1_500_000] {
            #expect(try await read(cache, key, range) == Array(bytes[Int(range.lowerBound)...Int(range.upperBound)]))
        }
        let statistics = await cache.statistics
        #expect(statistics.misses == 1 && statistics.hits == 3 && statistics.fetches == 1)
        #expect(statistics.hitRatio == 0.75)
        #expect(statistics.cachedBytes == 2_000_000)
        #expect(try await cache.head(key).contentType == "video/mp4", "the origin's description, not the cache file's")
    }

    @Test func concurrentReadersOfAColdObjectFetchItOnce() async throws {
        let cache = CachedObjectStore(origin: origin, directory: directory, maxBytes: 64 << 20)
        let (key, bytes) = try await object("crowd", size: 6_000_000, seed: 5)
        let results = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for reader in 0..<12 {
                let range = Int64(reader * 400_000)...Int64(reader * 400_000 + 99_999)
                group.addTask { try await read(cache, key, range) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 12)
        #expect(results.allSatisfy { part in (0..<12).contains { bytes[($0 * 400_000)..<($0 * 400_000 + 100_000)].elementsEqual(part) } })
        #expect(await cache.statistics.fetches == 1)
    }

    @Test func leastRecentlyUsedObjectsMakeRoom() async throws {
        // 400 KB budget, objects of 90 KB (under a quarter of it): four fit.
        let cache = CachedObjectStore(origin: origin, directory: directory, maxBytes: 400_000)
        var keys: [ObjectKey] = []
        for index in 0..<5 { keys.append(try await object("lru-\(index)", size: 90_000, seed: index + 1).0) }
        for key in keys.prefix(4) { _ = try await read(cache, key) }
        _ = try await read(cache, keys[0])  // now keys[1] is the least recently used
        _ = try await read(cache, keys[4])
        let statistics = await cache.statistics
        #expect(statistics.evictions == 1 && statistics.cachedBytes == 360_000)
        _ = try await read(cache, keys[0])
        #expect(await cache.statistics.fetches == 5, "keys[0] stayed")
        _ = try await read(cache, keys[1])
        #expect(await cache.statistics.fetches == 6, "keys[1] was evicted and is fetched again")
    }

    @Test func objectsTooLargeForTheBudgetAreReadThrough() async throws {
        let cache = CachedObjectStore(origin: origin, directory: directory, maxBytes: 1_000_000)
        let (key, bytes) = try await object("large", size: 600_000, seed: 7)
        #expect(try await read(cache, key, 5...9) == Array(bytes[5...9]))
        let statistics = await cache.statistics
        #expect(statistics.fetches == 0 && statistics.cachedBytes == 0)
    }

    @Test func writesThroughTheCacheReplaceTheCachedCopy() async throws {
        let cache = CachedObjectStore(origin: origin, directory: directory, maxBytes: 64 << 20)
        let (key, _) = try await object("rewritten", size: 50_000, seed: 9)
        _ = try await read(cache, key)
        let replacement = ObjectStoreConformanceTests.content(30_000, seed: 10)
        _ = try await cache.put(key, movingFileAt: try ObjectStoreConformanceTests.staged(replacement), contentType: nil)
        #expect(try await read(cache, key) == replacement)
        try await cache.delete(key)
        await #expect(throws: ObjectStoreError.notFound(key)) { try await cache.read(key, range: nil) }
    }

    @Test func theCacheSurvivesARestart() async throws {
        let (key, bytes) = try await object("kept", size: 70_000, seed: 11)
        _ = try await read(CachedObjectStore(origin: origin, directory: directory, maxBytes: 64 << 20), key)
        let restarted = CachedObjectStore(origin: origin, directory: directory, maxBytes: 64 << 20)
        #expect(try await read(restarted, key) == bytes)
        let statistics = await restarted.statistics
        #expect(statistics.hits == 1 && statistics.fetches == 0 && statistics.cachedBytes == 70_000)
    }
}
