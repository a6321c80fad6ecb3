import Foundation
import HubCore
import NIOCore
import Testing

@testable import HubStorage

/// One suite, every backend: what the hub relies on from an object store holds for local disk,
/// for S3 (a real S3-protocol server, moto, with signature checking on) and for the disk cache in
/// front of S3.
@Suite struct ObjectStoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case local, s3, cachedS3
        var testDescription: String { rawValue }

        func makeStore() throws -> any ObjectStore {
            switch self {
            case .local: return LocalObjectStore(baseDirectory: NSTemporaryDirectory() + "conformance-" + UUID().uuidString)
            case .s3: return try Self.moto().store()
            case .cachedS3:
                return CachedObjectStore(
                    origin: try Self.moto().store(), directory: NSTemporaryDirectory() + "cache-" + UUID().uuidString, maxBytes: 1 << 30)
            }
        }

        static func moto() throws -> MotoServer {
            try #require(MotoServer.shared, "moto_server is needed: scripts/setup.sh --test installs it")
        }

        /// moto refuses correctly signed requests for keys with non-ASCII letters or characters
        /// such as ( + = & (boto3's too: a limit of its signature check, see TOOLS.md); the
        /// signer's encoding of them is checked against botocore in SigV4SignerTests.
        var unicodeKey: String {
            let folder = UUID().uuidString
            return self == .local ? "videos/\(folder)/été/clip 1 (final) ünï.mp4" : "videos/\(folder)/ete/clip 1 final.mp4"
        }
    }

    /// Bytes as a network body delivers them: many small chunks.
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let bytes: [UInt8]
        let chunkSize: Int
        /// Fails after this many bytes, like a client that went away.
        var failAfter: Int? = nil

        struct AsyncIterator: AsyncIteratorProtocol {
            let chunks: Chunks
            var offset = 0
            mutating func next() async throws -> ByteBuffer? {
                if let limit = chunks.failAfter, offset >= limit { throw CancellationError() }
                guard offset < chunks.bytes.count else { return nil }
                let end = Swift.min(offset + chunks.chunkSize, chunks.bytes.count)
                defer { offset = end }
                return ByteBuffer(bytes: chunks.bytes[offset..<end])
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
    }

    static func staged(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + UUID().uuidString
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func collect(_ stream: ObjectByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await var chunk in stream { bytes += chunk.readBytes(length: chunk.readableBytes) ?? [] }
        return bytes
    }

    static func content(_ count: Int, seed: Int = 7) -> [UInt8] { (0..<count).map { UInt8(($0 * seed + $0 / 251) % 256) } }

    @Test(arguments: Backend.allCases)
    func putHeadReadRangesDelete(backend: Backend) async throws {
        let store = try backend.makeStore()
        let content = Self.content(3_000_000)
        let key = try ObjectKey("videos/\(UUID().uuidString)/source")
        let source = try Self.staged(content)
        #expect(try await store.put(key, movingFileAt: source, contentType: "video/mp4").size == 3_000_000)
        #expect(!FileManager.default.fileExists(atPath: source), "put consumes the staged file")
        let info = try await store.head(key)
        #expect(info.size == 3_000_000)
        #expect(info.contentType == "video/mp4")
        #expect(info.etag?.hasPrefix("\"") == true)
        #expect(abs(info.modifiedAt.timeIntervalSinceNow) < 300)
        #expect(try await Self.collect(store.read(key, range: nil)) == content)
        for range: ClosedRange<Int64> in [0...0, 0...1_048_575, 1_048_575...1_048_577, 2_999_990...2_999_999] {
            let stream = try await store.read(key, range: range)
            #expect(stream.count == range.upperBound - range.lowerBound + 1)
            #expect(try await Self.collect(stream) == Array(content[Int(range.lowerBound)...Int(range.upperBound)]), "\(range)")
        }
        try await store.delete(key)
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.head(key) }
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.read(key, range: nil) }
        try await store.delete(key)  // deleting what is gone is not an error
    }

    @Test(arguments: Backend.allCases)
    func replacingAnObjectIsWholeAndUnicodeKeysWork(backend: Backend) async throws {
        let store = try backend.makeStore()
        let key = try ObjectKey(backend.unicodeKey)
        _ = try await store.put(key, movingFileAt: try Self.staged(Self.content(1000, seed: 3)))
        let before = try await store.head(key).etag
        #expect(try await Self.collect(store.read(key, range: nil)) == Self.content(1000, seed: 3))
        _ = try await store.put(key, movingFileAt: try Self.staged(Self.content(500, seed: 5)))
        #expect(try await Self.collect(store.read(key, range: nil)) == Self.content(500, seed: 5))
        #expect(try await store.head(key).etag != before, "the ETag follows the bytes")
        let empty = try ObjectKey("thumbs/empty")
        _ = try await store.put(empty, movingFileAt: try Self.staged([]))
        #expect(try await store.head(empty).size == 0)
        try await store.checkHealth()
    }

    @Test func s3RefusesAWrongSecretAndNamesAMissingBucket() async throws {
        let moto = try #require(MotoServer.shared)
        await #expect { try await moto.store(secretKey: "not the secret").checkHealth() } throws: {
            if case .accessDenied = $0 as? ObjectStoreError { return true } else { return false }
        }
        await #expect { try await moto.store(secretKey: "not the secret").head(ObjectKey("x")) } throws: {
            if case .accessDenied = $0 as? ObjectStoreError { return true } else { return false }
        }
        await #expect { try await moto.store(bucket: "no-such-bucket").checkHealth() } throws: {
            ($0 as? ObjectStoreError) == .unavailable("the bucket 'no-such-bucket' does not exist")
        }
    }

    /// Past the multipart threshold (64 MiB), in parts of 8 MiB, four at a time.
    @Test(arguments: Backend.allCases)
    func a100MiBObjectGoesUpWholeAndComesBackByteForByte(backend: Backend) async throws {
        let store = try backend.makeStore()
        let content = Self.content(100 << 20, seed: 13)
        let key = try ObjectKey("videos/\(UUID().uuidString)/big")
        #expect(try await store.put(key, movingFileAt: try Self.staged(content)).size == 100 << 20)
        #expect(try await store.head(key).size == 100 << 20)
        #expect(try await Self.collect(store.read(key, range: nil)) == content)
        let edge: ClosedRange<Int64> = (8 << 20) - 2...(8 << 20) + 1  // across the first part boundary
        #expect(try await Self.collect(store.read(key, range: edge)) == Array(content[Int(edge.lowerBound)...Int(edge.upperBound)]))
        try await store.delete(key)
    }

    @Test(arguments: Backend.allCases)
    func putFromAByteStreamOfKnownAndUnknownSize(backend: Backend) async throws {
        let store = try backend.makeStore()
        let small = Self.content(300_000, seed: 17)
        let key = try ObjectKey("streamed/\(UUID().uuidString)")
        #expect(try await store.put(key, from: Chunks(bytes: small, chunkSize: 16_384), size: 300_000, contentType: "image/jpeg").size == 300_000)
        #expect(try await Self.collect(store.read(key, range: nil)) == small)
        #expect(try await store.head(key).contentType == "image/jpeg")
        // Unknown size, more than one 8 MiB part: S3 takes it in parts.
        let large = Self.content(20 << 20, seed: 19)
        #expect(try await store.put(key, from: Chunks(bytes: large, chunkSize: 65_536), size: nil, contentType: nil).size == 20 << 20)
        #expect(try await Self.collect(store.read(key, range: nil)) == large)
    }

    @Test(arguments: Backend.allCases)
    func aShortOrFailingStreamStoresNothing(backend: Backend) async throws {
        let store = try backend.makeStore()
        let key = try ObjectKey("streamed/\(UUID().uuidString)")
        await #expect { try await store.put(key, from: Chunks(bytes: Self.content(1000), chunkSize: 100), size: 2000, contentType: nil) } throws: {
            if case .preconditionFailed = $0 as? ObjectStoreError { return true } else { return false }
        }
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.head(key) }
        let broken = Chunks(bytes: Self.content(12 << 20), chunkSize: 1 << 20, failAfter: 10 << 20)
        await #expect(throws: CancellationError.self) { try await store.put(key, from: broken, size: 12 << 20, contentType: nil) }
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.head(key) }
    }

    @Test(arguments: Backend.allCases)
    func listsByPrefixInPages(backend: Backend) async throws {
        let store = try backend.makeStore()
        let prefix = "list-\(UUID().uuidString)"
        let keys = try (0..<7).map { try ObjectKey("\(prefix)/item \($0)") } + [try ObjectKey("other-\(prefix)/x")]
        for (index, key) in keys.enumerated() {
            _ = try await store.put(key, from: Chunks(bytes: Self.content(index + 1), chunkSize: 10), size: Int64(index + 1), contentType: nil)
        }
        var seen: [ObjectInfo] = []
        var continuation: String?
        var pages = 0
        repeat {
            // moto refuses (for boto3 too) list requests whose prefix has a "/" (TOOLS.md); the
            // local store walks only the folder a "/" names, which is worth testing.
            let page = try await store.list(prefix: backend == .local ? prefix + "/" : prefix, continuation: continuation, limit: 3)
            #expect(page.objects.count <= 3)
            seen += page.objects
            continuation = page.continuation
            pages += 1
        } while continuation != nil && pages < 10
        #expect(seen.map(\.key.rawValue).sorted() == keys.prefix(7).map(\.rawValue).sorted())
        #expect(Set(seen.map(\.size)) == Set(1...7))
        var walked: [String] = []
        for try await object in store.objects(prefix: prefix, pageSize: 2) { walked.append(object.key.rawValue) }
        #expect(walked.sorted() == keys.prefix(7).map(\.rawValue).sorted())
        let none = try await store.list(prefix: "nothing-\(UUID().uuidString)", continuation: nil, limit: 10)
        #expect(none.objects.isEmpty && none.continuation == nil)
    }

    @Test(arguments: Backend.allCases)
    func copiesAndKeepsTheMediaType(backend: Backend) async throws {
        let store = try backend.makeStore()
        let content = Self.content(200_000, seed: 23)
        let source = try ObjectKey("copy/\(UUID().uuidString)/a")
        let target = try ObjectKey("copy/\(UUID().uuidString)/b")
        _ = try await store.put(source, movingFileAt: try Self.staged(content), contentType: "video/webm")
        #expect(try await store.copy(source, to: target).size == 200_000)
        #expect(try await Self.collect(store.read(target, range: nil)) == content)
        #expect(try await store.head(target).contentType == "video/webm")
        try await store.delete(source)
        #expect(try await Self.collect(store.read(target, range: 100...199)) == Array(content[100...199]), "a copy, not a link")
        await #expect(throws: ObjectStoreError.notFound(source)) { try await store.copy(source, to: target) }
    }

    @Test(arguments: Backend.allCases)
    func concurrentPutsOfOneKeyLeaveOneWholeObject(backend: Backend) async throws {
        let store = try backend.makeStore()
        let key = try ObjectKey("race/\(UUID().uuidString)")
        let versions = (0..<6).map { Self.content(100_000 + $0 * 1000, seed: 29 + $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for version in versions {
                group.addTask { _ = try await store.put(key, from: Chunks(bytes: version, chunkSize: 8192), size: Int64(version.count), contentType: nil) }
            }
            try await group.waitForAll()
        }
        let stored = try await Self.collect(store.read(key, range: nil))
        #expect(versions.contains(stored), "one of the writes, whole, never a mix")
    }

    @Test(arguments: Backend.allCases)
    func missingKeysAreNotFound(backend: Backend) async throws {
        let store = try backend.makeStore()
        let key = try ObjectKey("missing/\(UUID().uuidString)")
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.head(key) }
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.read(key, range: nil) }
        await #expect(throws: ObjectStoreError.notFound(key)) { try await store.read(key, range: 0...10) }
        try await store.delete(key)
    }

    @Test(arguments: Backend.allCases)
    func presignedURLsExistWhereTheBackendHasThem(backend: Backend) throws {
        let store = try backend.makeStore()
        let url = store.presignedURL(for: try ObjectKey("videos/x/source"), expiresIn: 600, contentType: "video/mp4")
        if backend == .local {
            #expect(url == nil)
        } else {
            let query = try #require(url?.query)
            #expect(query.contains("X-Amz-Expires=600") && query.contains("X-Amz-Signature=") && query.contains("response-content-type=video%2Fmp4"))
        }
    }

    @Test func partSizesKeepA20GiBVideoUnder10000Parts() {
        #expect(S3MultipartUpload.partSize(for: 100 << 20) == 8 << 20)
        let twenty: Int64 = 20 << 30
        let part = S3MultipartUpload.partSize(for: twenty)
        #expect((twenty + part - 1) / part <= 10_000)
        #expect(part % (1 << 20) == 0)
        #expect(S3MultipartUpload.partSize(for: 5 << 40) * 10_000 >= 5 << 40)
    }

    @Test func boto3ReadsWhatTheHubWroteByteForByte() async throws {
        let moto = try #require(MotoServer.shared)
        let content = Self.content(2_500_000, seed: 11)
        let key = "videos/\(UUID().uuidString)/source"
        _ = try await moto.store().put(ObjectKey(key), movingFileAt: try Self.staged(content))
        #expect(Array(try moto.readWithBoto3(key)) == content)
    }

    @Test func s3NamesAnUnreachableEndpoint() async throws {
        let moto = try #require(MotoServer.shared)
        let unreachable = S3ObjectStore(settings: .init(
            bucket: "b", region: "us-east-1", credentials: moto.credentials, endpoint: URL(string: "http://127.0.0.1:1")!))
        await #expect { try await unreachable.checkHealth() } throws: {
            if case .unreachable(let message) = $0 as? ObjectStoreError { return message.contains("cannot be reached") } else { return false }
        }
    }
}
