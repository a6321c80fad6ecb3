import Foundation
import HubCore
import NIOCore
import Testing

@testable import HubStorage

/// The migration's logic between two local stores (its run against S3 is in the e2e suite):
/// every object copied and verified, a second run copying nothing, a bad copy caught.
@Suite struct StorageMigrationTests {
    let root = NSTemporaryDirectory() + "migration-" + UUID().uuidString
    var source: LocalObjectStore { LocalObjectStore(baseDirectory: root + "/source") }
    var destination: LocalObjectStore { LocalObjectStore(baseDirectory: root + "/destination") }
    var journal: String { root + "/journal" }

    func fill(_ count: Int) async throws -> [ObjectKey: [UInt8]] {
        var objects: [ObjectKey: [UInt8]] = [:]
        for index in 0..<count {
            let key = try ObjectKey("videos/\(index)/source")
            let bytes = ObjectStoreConformanceTests.content(10_000 + index, seed: index + 1)
            _ = try await source.put(key, from: ObjectStoreConformanceTests.Chunks(bytes: bytes, chunkSize: 4096), size: nil, contentType: "video/mp4")
            objects[key] = bytes
        }
        return objects
    }

    @Test func copiesEverythingOnceAndThenNothing() async throws {
        let objects = try await fill(12)
        var reports = 0
        let first = try await StorageMigration(source: source, destination: destination, journalPath: journal).run { _ in reports += 1 }
        #expect(first.copied == 12 && first.alreadyThere == 0 && reports == 12)
        #expect(first.bytesDone == first.bytesTotal)
        for (key, bytes) in objects {
            #expect(try await ObjectStoreConformanceTests.collect(destination.read(key, range: nil)) == bytes)
            #expect(try await destination.head(key).contentType == "video/mp4")
        }
        let second = try await StorageMigration(source: source, destination: destination, journalPath: journal).run()
        #expect(second.copied == 0 && second.alreadyThere == 12)
        // An object changed at the source since (another size) is copied again.
        let changed = try ObjectKey("videos/3/source")
        _ = try await source.put(changed, from: ObjectStoreConformanceTests.Chunks(bytes: [1, 2, 3], chunkSize: 3), size: 3, contentType: nil)
        #expect(try await StorageMigration(source: source, destination: destination, journalPath: journal).run().copied == 1)
        #expect(try await ObjectStoreConformanceTests.collect(destination.read(changed, range: nil)) == [1, 2, 3])
    }

    @Test func aCopyThatReadsBackDifferentlyIsRemovedAndStopsTheMigration() async throws {
        _ = try await fill(2)
        let corrupting = CorruptingStore(wrapped: destination)
        await #expect { try await StorageMigration(source: source, destination: corrupting, journalPath: journal).run() } throws: {
            if case .unavailable(let message) = $0 as? ObjectStoreError { return message.contains("reads back with SHA-256") } else { return false }
        }
        #expect(try await destination.list(prefix: "", continuation: nil, limit: 10).objects.isEmpty, "the bad copy was removed")
    }

    @Test func aTornJournalLineIsIgnored() async throws {
        _ = try await fill(3)
        try await StorageMigration(source: source, destination: destination, journalPath: journal).run()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: journal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("abc 12 videos/9/sou".utf8))  // a crash mid-line
        try handle.close()
        let again = try await StorageMigration(source: source, destination: destination, journalPath: journal).run()
        #expect(again.alreadyThere == 3)
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines.allSatisfy { $0.split(separator: " ").count == 3 })
    }
}

/// A store whose reads flip the first byte: a destination that stores something other than what
/// it was given.
struct CorruptingStore: ObjectStore {
    let wrapped: LocalObjectStore

    func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream {
        let stream = try await wrapped.read(key, range: range)
        let corrupting = CorruptingIterator(stream.makeAsyncIterator())
        return ObjectByteStream(info: stream.info, count: stream.count) { try await corrupting.next() }
    }

    func put(_ key: ObjectKey, movingFileAt path: String, contentType: String?) async throws -> ObjectInfo {
        try await wrapped.put(key, movingFileAt: path, contentType: contentType)
    }
    func put<Bytes: AsyncSequence & Sendable>(_ key: ObjectKey, from bytes: Bytes, size: Int64?, contentType: String?) async throws -> ObjectInfo
    where Bytes.Element == ByteBuffer {
        try await wrapped.put(key, from: bytes, size: size, contentType: contentType)
    }
    func head(_ key: ObjectKey) async throws -> ObjectInfo { try await wrapped.head(key) }
    func delete(_ key: ObjectKey) async throws { try await wrapped.delete(key) }
    func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        try await wrapped.list(prefix: prefix, continuation: continuation, limit: limit)
    }
    func copy(_ source: ObjectKey, to destination: ObjectKey) async throws -> ObjectInfo { try await wrapped.copy(source, to: destination) }
    func presignedURL(for key: ObjectKey, expiresIn seconds: Int, contentType: String?) -> URL? { nil }
    func checkHealth() async throws { try await wrapped.checkHealth() }
}

/// Flips the first byte it passes on. A stream has one reader at a time, so the state is never
/// touched concurrently.
private final class CorruptingIterator: @unchecked Sendable {
    private var iterator: ObjectByteStream.AsyncIterator
    private var corrupted = false

    init(_ iterator: ObjectByteStream.AsyncIterator) { self.iterator = iterator }

    func next() async throws -> ByteBuffer? {
        guard var chunk = try await iterator.next() else { return nil }
        if !corrupted, let byte = chunk.getInteger(at: chunk.readerIndex, as: UInt8.self) {
            chunk.setInteger(byte ^ 0xFF, at: chunk.readerIndex)
            corrupted = true
        }
        return chunk
    }
}
