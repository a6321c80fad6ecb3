import AsyncHTTPClient
import Crypto
import Foundation
import HubCore
import NIOCore
import XMLCoder

/// Uploads in progress kept in the bucket, so a PATCH may land on any instance: one multipart
/// upload per tus upload, aimed at the video's final key, and a tail object
/// (`upload-<id>.tail-<offset>`) holding the bytes past the last whole part.
///
/// The part size is fixed by the upload's length (as for any put, `S3MultipartUpload.partSize`),
/// so the recorded offset alone says which parts are whole and where the tail is. Parts are signed
/// with their SHA-256, which S3 verifies; a tail is read back whole before it is extended, and is
/// at most one part long, so a writer holds at most one part in memory.
extension S3ObjectStore: UploadPartStore {
    public func beginParts(of upload: UploadRecord, into destination: ObjectKey, contentType: String?) async throws -> String {
        try await S3MultipartUpload(store: self, key: destination, contentType: contentType, expectedSize: upload.length)
            .initiate(checksummed: false)
    }

    public func partWriter(for upload: UploadRecord, into destination: ObjectKey) async throws -> any UploadPartWriter {
        try await S3UploadPartWriter(resuming: upload, into: destination, store: self)
    }

    public func completeParts(of upload: UploadRecord, into destination: ObjectKey) async throws {
        let multipart = S3MultipartUpload(store: self, key: destination, contentType: nil, expectedSize: upload.length)
        let uploadID = try Self.multipartID(of: upload)
        let parts: [S3MultipartUpload.CompletedPart]
        do {
            parts = try await listParts(of: destination, uploadID: uploadID, length: upload.length)
        } catch ObjectStoreError.notFound {
            // Completed before a crash that came ahead of recording it: the object is there.
            let stored = try await head(destination)
            guard stored.size == upload.length else {
                throw ObjectStoreError.unavailable("the parts of upload \(upload.id) are gone and \(destination) holds \(stored.size) bytes, not \(upload.length)")
            }
            await removeTails(of: upload.id)
            return
        }
        try await multipart.complete(uploadID, parts: parts)
        let stored = try await head(destination)
        guard stored.size == upload.length else {
            throw ObjectStoreError.unavailable("S3 joined \(stored.size) bytes of \(destination), not \(upload.length)")
        }
        await removeTails(of: upload.id)
    }

    public func abortParts(of upload: UploadRecord, into destination: ObjectKey) async throws {
        if let uploadID = upload.multipartUploadID {
            let response = try await send("DELETE", key: destination, query: [("uploadId", uploadID)])
            do {
                try await Self.check(response, key: destination)
            } catch ObjectStoreError.notFound {
                // Aborted or completed already.
            }
        }
        await removeTails(of: upload.id)
    }

    static func multipartID(of upload: UploadRecord) throws -> String {
        guard let id = upload.multipartUploadID else {
            throw ObjectStoreError.unavailable("upload \(upload.id) has no multipart upload in S3 (it began with STORAGE_BACKEND=local)")
        }
        return id
    }

    static func tailKey(of upload: UploadID, at offset: Int64) throws -> ObjectKey {
        try ObjectKey("\(tailPrefix(of: upload))tail-\(offset)")
    }

    /// What every tail of `upload` starts with. No `/` in it: moto, the S3 server the tests run
    /// against, miscomputes the signature of a listing whose prefix holds one.
    static func tailPrefix(of upload: UploadID) -> String { "upload-\(upload.rawValue)." }

    /// Every part of a complete upload, checked to be the parts 1…N of the fixed size that add
    /// up to its length: a part missing or of another size means bytes were lost, and joining
    /// them would store a different video than the one acknowledged.
    private func listParts(of key: ObjectKey, uploadID: String, length: Int64) async throws -> [S3MultipartUpload.CompletedPart] {
        let partSize = S3MultipartUpload.partSize(for: length)
        let count = Int((length + partSize - 1) / partSize)
        var parts: [S3MultipartUpload.CompletedPart] = []
        var marker: Int?
        repeat {
            var query = [(name: "uploadId", value: uploadID)]
            if let marker { query.append(("part-number-marker", String(marker))) }
            let response = try await send("GET", key: key, query: query)
            try await Self.check(response, key: key)
            let body = try await response.body.collect(upTo: 4 << 20)
            let page = try XMLDecoder().decode(ListPartsResult.self, from: Data(body.readableBytesView))
            let before = parts.count
            for part in page.parts ?? [] {
                // The number is checked before it is used in arithmetic: it comes from the server.
                guard part.partNumber == parts.count + 1, parts.count < count else {
                    throw ObjectStoreError.unavailable("part \(part.partNumber) of \(key) is out of place")
                }
                let expected = min(partSize, length - Int64(parts.count) * partSize)
                guard part.size == expected else {
                    throw ObjectStoreError.unavailable("part \(part.partNumber) of \(key) holds \(part.size) bytes, not \(expected)")
                }
                parts.append(.init(partNumber: part.partNumber, eTag: part.eTag))
            }
            // A page that adds nothing yet says there is more would have this loop ask forever.
            marker = page.isTruncated == true && parts.count > before ? page.nextPartNumberMarker : nil
        } while marker != nil
        guard parts.count == count else {
            throw ObjectStoreError.unavailable("\(key) has \(parts.count) of its \(count) parts")
        }
        return parts
    }

    /// Tails are found by listing, not by offset: a writer that died after storing its tail and
    /// before the offset was recorded left one that no record names.
    private func removeTails(of upload: UploadID) async {
        do {
            for try await object in objects(prefix: Self.tailPrefix(of: upload)) {
                try await delete(object.key)
            }
        } catch {
            // Left for the bucket's lifecycle rule; a tail is at most one part.
        }
    }
}

/// One request's bytes on their way into an upload's parts.
struct S3UploadPartWriter: UploadPartWriter {
    let multipart: S3MultipartUpload
    let upload: UploadRecord
    let uploadID: String
    let partSize: Int
    /// The tail the recorded offset names, read at the start.
    let startTail: ObjectKey?
    /// Bytes of the part being filled (the old tail first).
    private var pending: ByteBuffer
    private var nextPart: Int
    /// The offset the sent parts reach.
    private var sent: Int64
    private(set) var storedTail: ObjectKey?

    init(resuming upload: UploadRecord, into destination: ObjectKey, store: S3ObjectStore) async throws {
        self.upload = upload
        self.uploadID = try S3ObjectStore.multipartID(of: upload)
        self.multipart = S3MultipartUpload(store: store, key: destination, contentType: nil, expectedSize: upload.length)
        let partSize = S3MultipartUpload.partSize(for: upload.length)
        self.partSize = Int(partSize)
        let wholeParts = upload.offset / partSize
        sent = wholeParts * partSize
        nextPart = Int(wholeParts) + 1
        pending = ByteBuffer()
        pending.reserveCapacity(Int(partSize))
        guard upload.offset > sent else {
            startTail = nil
            return
        }
        let tail = try S3ObjectStore.tailKey(of: upload.id, at: upload.offset)
        let bytes: ObjectByteStream
        do {
            bytes = try await store.read(tail, range: nil)
        } catch ObjectStoreError.notFound {
            throw ObjectStoreError.unavailable("the last \(upload.offset - sent) bytes of upload \(upload.id) are missing from S3 (\(tail))")
        }
        for try await var chunk in bytes { pending.writeBuffer(&chunk) }
        guard Int64(pending.readableBytes) == upload.offset - sent else {
            throw ObjectStoreError.unavailable("\(tail) holds \(pending.readableBytes) bytes, not \(upload.offset - sent)")
        }
        startTail = tail
    }

    var end: Int64 { sent + Int64(pending.readableBytes) }

    mutating func write(_ bytes: ByteBuffer) async throws {
        var bytes = bytes
        while bytes.readableBytes > 0 {
            var slice = bytes.readSlice(length: min(partSize - pending.readableBytes, bytes.readableBytes))!
            pending.writeBuffer(&slice)
            if pending.readableBytes == partSize { try await sendPending() }
        }
    }

    mutating func commit() async throws {
        guard pending.readableBytes > 0 else { return }
        if end == upload.length {
            try await sendPending()  // the last part, which may be short
        } else if end > upload.offset {
            let (tail, bytes) = (try S3ObjectStore.tailKey(of: upload.id, at: end), pending)
            let response = try await multipart.store.send(
                "PUT", key: tail, body: { .bytes(bytes) }, payloadHash: bytes.withUnsafeReadableBytes { SHA256.hash(data: $0).hexEncoded })
            try await S3ObjectStore.check(response, key: tail)
            storedTail = tail
        }
    }

    func retireOldTail() async {
        guard let startTail, startTail != storedTail else { return }
        try? await multipart.store.delete(startTail)
    }

    private mutating func sendPending() async throws {
        _ = try await multipart.uploadPart(nextPart, bytes: pending, uploadID: uploadID, checksummed: false)
        sent += Int64(pending.readableBytes)
        nextPart += 1
        pending = ByteBuffer()
        pending.reserveCapacity(partSize)
    }
}

/// `ListParts`' answer, as much of it as completing an upload reads.
struct ListPartsResult: Decodable {
    var parts: [Part]?
    var isTruncated: Bool?
    var nextPartNumberMarker: Int?

    struct Part: Decodable {
        var partNumber: Int
        var eTag: String
        var size: Int64
        enum CodingKeys: String, CodingKey {
            case partNumber = "PartNumber"
            case eTag = "ETag"
            case size = "Size"
        }
    }

    enum CodingKeys: String, CodingKey {
        case parts = "Part"
        case isTruncated = "IsTruncated"
        case nextPartNumberMarker = "NextPartNumberMarker"
    }
}
