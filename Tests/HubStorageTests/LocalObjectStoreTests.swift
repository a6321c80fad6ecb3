import Foundation
import HubCore
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
