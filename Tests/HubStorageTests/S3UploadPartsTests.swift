import AsyncHTTPClient
import Foundation
import HubCore
import NIOCore
import Testing

@testable import HubStorage

/// Uploads in progress kept as S3 parts plus a tail object, against moto. Each request gets a
/// fresh writer built from the upload's record alone, as on an instance that has never seen the
/// upload before.
@Suite struct S3UploadPartsTests {
    static let mib = 1 << 20

    func setUp(length: Int) async throws -> (S3ObjectStore, UploadRecord, ObjectKey, MotoServer) {
        let moto = try #require(MotoServer.shared, "moto_server is needed: scripts/setup.sh --test installs it")
        let store = moto.store()
        var record = UploadRecord(
            id: UploadID(), length: Int64(length), offset: 0, metadata: [:], createdAt: Date(), expiresAt: Date().addingTimeInterval(3600),
            ownerID: nil)
        let key = try ObjectKey("videos/\(UUID().uuidString.lowercased())/source")
        record.multipartUploadID = try await store.beginParts(of: record, into: key, contentType: "video/mp4")
        return (store, record, key, moto)
    }

    /// One request: `bytes` written in `chunk`-sized buffers, committed, its end recorded.
    func append(
        _ bytes: ArraySlice<UInt8>, to record: inout UploadRecord, in store: S3ObjectStore, key: ObjectKey, chunk: Int = 65_536,
        recorded: Bool = true
    ) async throws {
        var writer = try await store.partWriter(for: record, into: key)
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + chunk, bytes.endIndex)
            try await writer.write(ByteBuffer(bytes: bytes[start..<end]))
            start = end
        }
        try await writer.commit()
        guard recorded else { return }
        record.offset = writer.end
        await writer.retireOldTail()
    }

    func tails(of record: UploadRecord, in store: S3ObjectStore) async throws -> [String] {
        try await store.list(prefix: S3ObjectStore.tailPrefix(of: record.id), continuation: nil, limit: 100).objects.map(\.key.rawValue)
    }

    func multipartUploads(in store: S3ObjectStore) async throws -> String {
        // By the key's first segment: moto cannot sign-check a prefix with a `/` in it.
        let response = try await store.send("GET", key: nil, query: [("prefix", "videos"), ("uploads", "")])
        let body = try await response.body.collect(upTo: 1 << 20)
        return String(buffer: body)
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ $0 >> 12) }
    }

    @Test func requestsOnAnyInstanceJoinIntoTheObject() async throws {
        let data = Self.bytes(19 * Self.mib + 17, seed: 3)
        let (store, initial, key, moto) = try await setUp(length: data.count)
        var record = initial
        // A tail alone; a part filled from the tail with a new tail; a few bytes; exactly up to
        // a part boundary (no tail); then the rest in odd chunks, ending in a short last part.
        let cuts = [3 * Self.mib, 9 * Self.mib, 9 * Self.mib + 100, 16 * Self.mib, data.count]
        var start = 0
        for cut in cuts {
            try await append(data[start..<cut], to: &record, in: store, key: key, chunk: 65_537)
            #expect(record.offset == Int64(cut))
            let expectedTails = cut % (8 * Self.mib) == 0 || cut == data.count ? [] : [try S3ObjectStore.tailKey(of: record.id, at: Int64(cut)).rawValue]
            #expect(try await tails(of: record, in: store) == expectedTails, "only the tail the recorded offset names is kept")
            start = cut
        }
        try await store.completeParts(of: record, into: key)
        #expect(try moto.readWithBoto3(key.rawValue) == Data(data))
        #expect(try await tails(of: record, in: store).isEmpty)
        // Completing again (a crash came before it was recorded) finds the object joined.
        try await store.completeParts(of: record, into: key)
        #expect(try await store.head(key).size == Int64(data.count))
    }

    @Test func aWriterThatDiesBeforeItsOffsetIsRecordedChangesNothing() async throws {
        let data = Self.bytes(18 * Self.mib, seed: 7)
        let (store, initial, key, moto) = try await setUp(length: data.count)
        var record = initial
        try await append(data[0..<(5 * Self.mib)], to: &record, in: store, key: key)
        // Another instance writes 9 MiB of other bytes (a whole part and a tail) and dies
        // before recording its offset.
        try await append(ArraySlice(Self.bytes(9 * Self.mib, seed: 99)), to: &record, in: store, key: key, recorded: false)
        // The client resumes from the recorded offset on a third instance.
        try await append(data[(5 * Self.mib)...], to: &record, in: store, key: key, chunk: 1 << 20)
        try await store.completeParts(of: record, into: key)
        #expect(try moto.readWithBoto3(key.rawValue) == Data(data))
        #expect(try await tails(of: record, in: store).isEmpty, "the dead writer's tail is removed too")
    }

    @Test func abortingRemovesPartsAndTails() async throws {
        let (store, initial, key, _) = try await setUp(length: 20 * Self.mib)
        var record = initial
        try await append(ArraySlice(Self.bytes(9 * Self.mib, seed: 1)), to: &record, in: store, key: key)
        #expect(try await multipartUploads(in: store).contains(record.multipartUploadID!))
        try await store.abortParts(of: record, into: key)
        #expect(try await !multipartUploads(in: store).contains(record.multipartUploadID!))
        #expect(try await tails(of: record, in: store).isEmpty)
        try await store.abortParts(of: record, into: key)  // twice: not an error
        await #expect(throws: ObjectStoreError.self) { try await store.completeParts(of: record, into: key) }
    }

    @Test func aMissingTailOrAMissingPartIsAClearError() async throws {
        let (store, initial, key, _) = try await setUp(length: 20 * Self.mib)
        var record = initial
        try await append(ArraySlice(Self.bytes(3 * Self.mib, seed: 2)), to: &record, in: store, key: key)
        try await store.delete(S3ObjectStore.tailKey(of: record.id, at: record.offset))
        let error = await #expect(throws: ObjectStoreError.self) { _ = try await store.partWriter(for: record, into: key) }
        #expect("\(String(describing: error))".contains("missing"))

        // Recorded as complete without the parts below: completing refuses to join a short object.
        record.offset = record.length
        let short = await #expect(throws: ObjectStoreError.self) { try await store.completeParts(of: record, into: key) }
        #expect("\(String(describing: short))".contains("parts"))
        try await store.abortParts(of: record, into: key)
    }
}
