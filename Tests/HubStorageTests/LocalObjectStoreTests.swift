import Foundation
import HubCore
import HubSystem
import NIOCore
import Testing

@testable import HubStorage

@Suite struct LocalObjectStoreTests {
    let base: String
    let store: LocalObjectStore

    init() {
        base = NSTemporaryDirectory() + "store-" + UUID().uuidString
        store = LocalObjectStore(baseDirectory: base, chunkSize: 4096)
    }

    func staged(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + UUID().uuidString
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func collect(_ stream: ObjectByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await var chunk in stream { bytes += chunk.readBytes(length: chunk.readableBytes) ?? [] }
        return bytes
    }

    @Test func putHeadReadDelete() async throws {
        let content = (0..<10_000).map { UInt8($0 % 251) }
        let key = try ObjectKey("videos/ab/abc/source")
        let source = try staged(content)
        let info = try await store.put(key, movingFileAt: source)
        #expect(info.size == 10_000)
        #expect(!FileManager.default.fileExists(atPath: source), "put consumes the staged file")
        #expect(try await store.head(key).size == 10_000)
        #expect(try await collect(store.read(key, range: nil)) == content)
        #expect(try await collect(store.read(key, range: 0...0)) == [content[0]])
        #expect(try await collect(store.read(key, range: 4095...4097)) == Array(content[4095...4097]))
        #expect(try await collect(store.read(key, range: 9_990...9_999)) == Array(content[9_990...]))
        try await store.delete(key)
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.head(key) }
        try await store.delete(key)  // deleting twice is fine
    }

    @Test func missingKeysAreNotFound() async throws {
        let key = try ObjectKey("nope/none")
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.read(key, range: nil) }
    }

    @Test func emptyObjects() async throws {
        let key = try ObjectKey("empty")
        _ = try await store.put(key, movingFileAt: try staged([]))
        #expect(try await collect(store.read(key, range: nil)) == [])
    }

    @Test func aStreamOpenedBeforeDeleteReadsToTheEnd() async throws {
        let content = [UInt8](repeating: 7, count: 50_000)
        let key = try ObjectKey("videos/x/source")
        _ = try await store.put(key, movingFileAt: try staged(content))
        let stream = try await store.read(key, range: nil)
        try await store.delete(key)
        #expect(try await collect(stream) == content)
    }

    @Test func putReplacesAtomically() async throws {
        let key = try ObjectKey("k")
        _ = try await store.put(key, movingFileAt: try staged([1, 2, 3]))
        _ = try await store.put(key, movingFileAt: try staged([4, 5]))
        #expect(try await collect(store.read(key, range: nil)) == [4, 5])
    }

    @Test func healthCheckNamesAnUnwritableDirectory() async throws {
        let blocked = LocalObjectStore(baseDirectory: "/proc/streamhub-cannot-write-here")
        await #expect(throws: ObjectStoreError.self) { try await blocked.checkHealth() }
        try await store.checkHealth()
    }
}

/// The local store's own guarantees: sharded folders, no way out of the base, the layout upgrade.
@Suite struct LocalObjectStoreLayoutTests {
    let base = NSTemporaryDirectory() + "layout-" + UUID().uuidString
    var store: LocalObjectStore { LocalObjectStore(baseDirectory: base) }

    func put(_ key: String, _ text: String) async throws {
        _ = try await store.put(ObjectKey(key), from: ObjectStoreConformanceTests.Chunks(bytes: Array(text.utf8), chunkSize: 1024), size: nil, contentType: nil)
    }

    @Test func objectsSpreadOverShardFolders() async throws {
        for index in 0..<2000 { try await put("videos/\(index)/source", "x") }
        let shards = PosixPath.contents(of: base + "/objects")
        #expect(shards.count == 256)
        let largest = shards.map { PosixPath.contents(of: "\(base)/objects/\($0)/videos").count }.max() ?? 0
        #expect(largest < 30, "2000 videos over 256 folders, not one folder of 2000")
    }

    @Test func symbolicLinksAreNotFollowed() async throws {
        let key = try ObjectKey("videos/link/source")
        try await put(key.rawValue, "mine")
        let path = store.path(for: key)
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/etc/passwd")
        await #expect(throws: ObjectStoreError.self) { try await store.read(key, range: nil) }
        await #expect(throws: ObjectStoreError.self) { try await store.head(key) }
        // A linked folder higher up is refused too, for reads and for writes.
        let other = try ObjectKey("videos/linked-dir/source")
        let folder = (store.path(for: other) as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: (folder as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder, withDestinationPath: NSTemporaryDirectory())
        await #expect(throws: ObjectStoreError.self) { try await put(other.rawValue, "escape") }
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "source"))
        let listed = try await store.list(prefix: "videos/", continuation: nil, limit: 100).objects.map(\.key)
        #expect(!listed.contains(key), "links are not listed either")
    }

    @Test func aFailedStreamLeavesNoTemporaryFile() async throws {
        let failing = ObjectStoreConformanceTests.Chunks(bytes: [UInt8](repeating: 1, count: 5 << 20), chunkSize: 1 << 20, failAfter: 3 << 20)
        await #expect(throws: CancellationError.self) { try await store.put(ObjectKey("a"), from: failing, size: nil, contentType: nil) }
        #expect(PosixPath.contents(of: base + "/.tmp").isEmpty)
    }

    @Test func objectsStoredBeforeShardingMoveIntoTheShardedLayout() async throws {
        let legacy = ["videos/ab/abc/source", "videos/ab/abc/thumbnail.jpg", "videos/cd/cde/source"]
        for key in legacy {
            let path = "\(base)/\(key)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(key.utf8).write(to: URL(fileURLWithPath: path))
        }
        try FileManager.default.createDirectory(atPath: base + "/.incoming", withIntermediateDirectories: true)
        // Readable before the upgrade (another instance may not have run it yet)…
        #expect(try await ObjectStoreConformanceTests.collect(store.read(ObjectKey(legacy[0]), range: nil)) == Array(legacy[0].utf8))
        #expect(try await store.upgradeLayout() == 3)
        #expect(try await store.upgradeLayout() == 0, "running it again changes nothing")
        for key in legacy {
            #expect(try await ObjectStoreConformanceTests.collect(store.read(ObjectKey(key), range: nil)) == Array(key.utf8))
            #expect(FileManager.default.fileExists(atPath: store.path(for: try ObjectKey(key))))
        }
        #expect(!FileManager.default.fileExists(atPath: base + "/videos"), "the old folders are gone")
        #expect(FileManager.default.fileExists(atPath: base + "/.incoming"), "staging is left alone")
        let listed = try await store.list(prefix: "videos/", continuation: nil, limit: 100).objects.map(\.key.rawValue)
        #expect(listed.sorted() == legacy.sorted())
    }
}
