import Foundation
import HubCore
import NIOCore
import Testing

@testable import HubStorage

/// One suite, every backend: what the hub relies on from an object store holds for local disk
/// and for S3 (a real S3-protocol server, moto, with signature checking on).
@Suite struct ObjectStoreConformanceTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case local, s3
        var testDescription: String { rawValue }

        func makeStore() throws -> any ObjectStore {
            switch self {
            case .local: return LocalObjectStore(baseDirectory: NSTemporaryDirectory() + "conformance-" + UUID().uuidString)
            case .s3: return try #require(MotoServer.shared, "moto_server is needed: scripts/setup.sh --test installs it").store()
            }
        }
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
        #expect(try await store.put(key, movingFileAt: source).size == 3_000_000)
        #expect(!FileManager.default.fileExists(atPath: source), "put consumes the staged file")
        #expect(try await store.head(key).size == 3_000_000)
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
        // moto refuses correctly signed requests for keys with non-ASCII letters or characters
        // such as ( + = & (boto3's too: a limit of its signature check, see TOOLS.md); the
        // signer's encoding of them is checked against botocore in SigV4SignerTests.
        let key = try ObjectKey(backend == .local ? "videos/été/clip 1 (final).mp4" : "videos/ete/clip 1 final.mp4")
        _ = try await store.put(key, movingFileAt: try Self.staged(Self.content(1000, seed: 3)))
        _ = try await store.put(key, movingFileAt: try Self.staged(Self.content(500, seed: 5)))
        #expect(try await Self.collect(store.read(key, range: nil)) == Self.content(500, seed: 5))
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
            if case .unavailable(let message) = $0 as? ObjectStoreError { return message.contains("cannot be reached") } else { return false }
        }
    }
}
