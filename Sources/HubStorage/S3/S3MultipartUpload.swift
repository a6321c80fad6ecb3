import AsyncHTTPClient
import Crypto
import Foundation
import HubCore
import HubSystem
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
    let contentType: String?
    /// The size the caller promised, when it knows it: it sets the part size, and a body of any
    /// other length fails the upload.
    let expectedSize: Int64?

    /// What the part size allows for when the size is not known in advance.
    static let largestExpectedObject: Int64 = 50 << 30

    /// S3 allows 10,000 parts of at least 5 MiB: 8 MiB parts, grown in whole MiB so even a
    /// 20 GiB video needs fewer than 10,000.
    static func partSize(for size: Int64) -> Int64 {
        let mib: Int64 = 1 << 20
        let needed = (size + 9_999) / 10_000
        return max(8 * mib, (needed + mib - 1) / mib * mib)
    }

    /// Uploads `first` and then what `rest` yields, cut into parts.
    func run<Bytes: AsyncIteratorProtocol>(first: ByteBuffer, rest: inout Bytes) async throws -> ObjectInfo where Bytes.Element == ByteBuffer {
        let partSize = Int(Self.partSize(for: expectedSize ?? Self.largestExpectedObject))
        var parts = PartCutter(pending: first, partSize: partSize)
        return try await transfer(checksummed: true) { uploadID in
            try await withThrowingTaskGroup(of: CompletedPart.self) { group in
                var completed: [CompletedPart] = []
                var inFlight = 0
                var number = 0
                while true {
                    // Reading the next part waits here while `parallelParts` are in flight, so a
                    // slow S3 slows the reading down instead of filling memory.
                    if inFlight < store.parallelParts, let bytes = try await parts.next(from: &rest) {
                        number += 1
                        let partNumber = number
                        group.addTask { try await uploadPart(partNumber, bytes: bytes, uploadID: uploadID) }
                        inFlight += 1
                        continue
                    }
                    guard let part = try await group.next() else { break }
                    completed.append(part)
                    inFlight -= 1
                }
                if let expectedSize, parts.total != expectedSize {
                    throw ObjectStoreError.preconditionFailed("\(key): expected \(expectedSize) bytes, got \(parts.total)")
                }
                return (completed, parts.total)
            }
        }
    }

    /// A server-side copy of an object too large for one `CopyObject`, part by part
    /// (`UploadPartCopy` with byte ranges).
    func copy(from source: ObjectKey) async throws -> ObjectInfo {
        guard let size = expectedSize else { preconditionFailure("a copy knows its size") }
        let partSize = max(Self.partSize(for: size), 512 << 20)
        let count = Int((size + partSize - 1) / partSize)
        return try await transfer(checksummed: false) { uploadID in
            let parts = try await withThrowingTaskGroup(of: CompletedPart.self) { group in
                var completed: [CompletedPart] = []
                for number in 1...count {
                    if number > store.parallelParts, let part = try await group.next() { completed.append(part) }
                    let start = Int64(number - 1) * partSize
                    let range = "bytes=\(start)-\(min(start + partSize, size) - 1)"
                    group.addTask { try await copyPart(number, source: source, range: range, uploadID: uploadID) }
                }
                for try await part in group { completed.append(part) }
                return completed
            }
            return (parts, size)
        }
    }

    /// Initiate, `body`, complete, check the stored size; abort on any failure. A checksummed
    /// upload sends each part's CRC-32, which S3 verifies as the part arrives.
    private func transfer(checksummed: Bool, _ body: (String) async throws -> ([CompletedPart], Int64)) async throws -> ObjectInfo {
        let uploadID = try await initiate(checksummed: checksummed)
        let size: Int64
        do {
            let (parts, total) = try await body(uploadID)
            try await complete(uploadID, parts: parts.sorted { $0.partNumber < $1.partNumber })
            size = total
        } catch {
            _ = try? await store.send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
        let stored = try await store.head(key)
        guard stored.size == size else {
            throw ObjectStoreError.unavailable("S3 stored \(stored.size) bytes of \(key), not \(size)")
        }
        return stored
    }

    func initiate(checksummed: Bool) async throws -> String {
        var headers = [(name: "Content-Type", value: contentType ?? S3ObjectStore.defaultContentType)]
        if checksummed { headers.append(("x-amz-checksum-algorithm", "CRC32")) }
        let response = try await store.send("POST", key: key, query: [("uploads", "")], headers: headers)
        try await S3ObjectStore.check(response, key: key)
        let body = try await response.body.collect(upTo: 1 << 20)
        return try XMLDecoder().decode(InitiateResult.self, from: Data(body.readableBytesView)).uploadId
    }

    /// Sends one part. In a checksummed upload, UNSIGNED-PAYLOAD spares a SHA-256 of every part
    /// and the CRC-32 lets S3 refuse a part damaged in transit. Otherwise the part is signed with
    /// its SHA-256, which S3 checks as well: parts that a later request completes must not need
    /// their checksums remembered (S3 lists only ETags and sizes for uploads without an algorithm).
    func uploadPart(_ number: Int, bytes: ByteBuffer, uploadID: String, checksummed: Bool = true) async throws -> CompletedPart {
        let checksum = checksummed ? CRC32.base64(bytes) : nil
        let response = try await store.send(
            "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
            headers: checksum.map { [("x-amz-checksum-crc32", $0)] } ?? [], body: { .bytes(bytes) },
            payloadHash: checksummed ? SigV4Signer.unsignedPayload : bytes.withUnsafeReadableBytes { SHA256.hash(data: $0).hexEncoded })
        try await S3ObjectStore.check(response, key: key)
        guard let etag = response.headers.first(name: "ETag") else {
            throw ObjectStoreError.unavailable("S3 gave no ETag for part \(number) of \(key)")
        }
        return CompletedPart(partNumber: number, eTag: etag, checksumCRC32: checksum)
    }

    private func copyPart(_ number: Int, source: ObjectKey, range: String, uploadID: String) async throws -> CompletedPart {
        let response = try await store.send(
            "PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)],
            headers: [("x-amz-copy-source", store.copySource(source)), ("x-amz-copy-source-range", range)])
        try await S3ObjectStore.check(response, key: key)
        let body = try await response.body.collect(upTo: 1 << 20)
        let result = try XMLDecoder().decode(CopyPartResult.self, from: Data(body.readableBytesView))
        return CompletedPart(partNumber: number, eTag: result.eTag)
    }

    func complete(_ uploadID: String, parts: [CompletedPart]) async throws {
        let document = try XMLEncoder().encode(CompleteRequest(parts: parts), withRootKey: "CompleteMultipartUpload")
        let response = try await store.send(
            "POST", key: key, query: [("uploadId", uploadID)], body: { .bytes(ByteBuffer(bytes: document)) },
            payloadHash: SHA256.hash(data: document).hexEncoded)
        try await S3ObjectStore.check(response, key: key)
        try await S3ObjectStore.checkNoErrorInBody(response, doing: "completing the upload of \(key)")
    }

    struct InitiateResult: Decodable {
        var uploadId: String
        enum CodingKeys: String, CodingKey { case uploadId = "UploadId" }
    }

    struct CopyPartResult: Decodable {
        var eTag: String
        enum CodingKeys: String, CodingKey { case eTag = "ETag" }
    }

    struct CompletedPart: Codable, Sendable {
        var partNumber: Int
        var eTag: String
        var checksumCRC32: String? = nil
        enum CodingKeys: String, CodingKey {
            case partNumber = "PartNumber"
            case eTag = "ETag"
            case checksumCRC32 = "ChecksumCRC32"
        }
    }

    struct CompleteRequest: Encodable {
        var parts: [CompletedPart]
        enum CodingKeys: String, CodingKey { case parts = "Part" }
    }
}

/// Cuts a stream of arbitrary chunks into parts of one size (the last may be shorter). Each part
/// is one allocation of exactly the part size: a chunk that straddles two parts is split, so no
/// buffer grows past its part and none is copied twice.
private struct PartCutter {
    private var pending: ByteBuffer
    /// The part of the last chunk that belongs to the next part.
    private var leftover: ByteBuffer?
    let partSize: Int
    private(set) var total: Int64 = 0
    private var finished = false

    init(pending: ByteBuffer, partSize: Int) {
        self.partSize = partSize
        self.pending = ByteBuffer()
        self.leftover = pending.readableBytes > 0 ? pending : nil
    }

    mutating func next<Bytes: AsyncIteratorProtocol>(from source: inout Bytes) async throws -> ByteBuffer? where Bytes.Element == ByteBuffer {
        while pending.readableBytes < partSize {
            var chunk: ByteBuffer
            if let left = leftover {
                chunk = left
                leftover = nil
            } else if !finished, let next = try await source.next() {
                chunk = next
            } else {
                finished = true
                break
            }
            if pending.readableBytes == 0, chunk.readableBytes == partSize {
                // A chunk that is exactly a part (a file read a part at a time) goes as it is.
                pending = chunk
                break
            }
            if pending.capacity < partSize { pending.reserveCapacity(partSize) }
            let take = min(partSize - pending.readableBytes, chunk.readableBytes)
            var head = chunk.readSlice(length: take)!
            pending.writeBuffer(&head)
            if chunk.readableBytes > 0 { leftover = chunk }
        }
        guard pending.readableBytes > 0 else { return nil }
        let part = pending
        total += Int64(part.readableBytes)
        pending = ByteBuffer()
        return part
    }
}
