import AsyncHTTPClient
import Crypto
import Foundation
import HubCore
import NIOCore
import NIOHTTP1
import NIOPosix
import XMLCoder

/// One object put to S3 in parts: initiate, upload the parts a few at a time, complete, then
/// check the stored size. Any failure aborts the upload, so no orphan parts are left to be
/// billed for.
struct S3MultipartUpload {
    let store: S3ObjectStore
    let key: ObjectKey
    let file: PosixFile
    let size: Int64

    /// S3 allows 10,000 parts of at least 5 MiB: 8 MiB parts, grown in whole MiB so even a
    /// 20 GiB video needs fewer than 10,000.
    static func partSize(for size: Int64) -> Int64 {
        let mib: Int64 = 1 << 20
        let needed = (size + 9_999) / 10_000
        return max(8 * mib, (needed + mib - 1) / mib * mib)
    }

    func run() async throws {
        let uploadID = try await initiate()
        do {
            let parts = try await uploadParts(uploadID)
            try await complete(uploadID, parts: parts)
        } catch {
            _ = try? await store.send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
        let stored = try await store.head(key).size
        guard stored == size else {
            throw ObjectStoreError.unavailable("S3 stored \(stored) bytes of \(key), not \(size)")
        }
    }

    private func initiate() async throws -> String {
        let response = try await store.send("POST", key: key, query: [("uploads", "")])
        try await S3ObjectStore.check(response, key: key)
        let body = try await response.body.collect(upTo: 1 << 20)
        return try XMLDecoder().decode(InitiateResult.self, from: Data(body.readableBytesView)).uploadId
    }

    private func uploadParts(_ uploadID: String) async throws -> [CompletedPart] {
        let partSize = Self.partSize(for: size)
        let count = Int((size + partSize - 1) / partSize)
        var parts: [CompletedPart] = []
        try await withThrowingTaskGroup(of: CompletedPart.self) { group in
            var next = 1
            func addPart() {
                let number = next
                next += 1
                group.addTask { try await uploadPart(number, uploadID: uploadID, partSize: partSize) }
            }
            while next <= min(count, store.parallelParts) { addPart() }
            for try await part in group {
                parts.append(part)
                if next <= count { addPart() }
            }
        }
        return parts.sorted { $0.partNumber < $1.partNumber }
    }

    private func uploadPart(_ number: Int, uploadID: String, partSize: Int64) async throws -> CompletedPart {
        let offset = Int64(number - 1) * partSize
        let length = Int(min(partSize, size - offset))
        let file = self.file
        let bytes = try await NIOThreadPool.singleton.runIfActive { try file.read(count: length, at: offset) }
        let response = try await store.send(
            "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
            body: { .bytes(bytes) }, payloadHash: SigV4Signer.unsignedPayload)
        try await S3ObjectStore.check(response, key: key)
        guard let etag = response.headers.first(name: "ETag") else {
            throw ObjectStoreError.unavailable("S3 gave no ETag for part \(number) of \(key)")
        }
        return CompletedPart(partNumber: number, eTag: etag)
    }

    private func complete(_ uploadID: String, parts: [CompletedPart]) async throws {
        let document = try XMLEncoder().encode(CompleteRequest(parts: parts), withRootKey: "CompleteMultipartUpload")
        let response = try await store.send(
            "POST", key: key, query: [("uploadId", uploadID)], body: { .bytes(ByteBuffer(bytes: document)) },
            payloadHash: SHA256.hash(data: document).hexEncoded)
        try await S3ObjectStore.check(response, key: key)
        // S3 can answer 200 and still report an error in the body of a completion.
        let body = try await response.body.collect(upTo: 1 << 20)
        if let error = try? XMLDecoder().decode(S3ErrorBody.self, from: Data(body.readableBytesView)) {
            throw ObjectStoreError.unavailable("completing the upload of \(key) failed: \(error.code)")
        }
    }

    struct InitiateResult: Decodable {
        var uploadId: String
        enum CodingKeys: String, CodingKey { case uploadId = "UploadId" }
    }

    struct CompletedPart: Codable, Sendable {
        var partNumber: Int
        var eTag: String
        enum CodingKeys: String, CodingKey {
            case partNumber = "PartNumber"
            case eTag = "ETag"
        }
    }

    struct CompleteRequest: Encodable {
        var parts: [CompletedPart]
        enum CodingKeys: String, CodingKey { case parts = "Part" }
    }
}
