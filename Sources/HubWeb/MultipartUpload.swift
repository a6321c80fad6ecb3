import Crypto
import Foundation
import HubCore
import HubMedia
import HubSystem
import Hummingbird
import NIOCore
import NIOPosix

/// Receives a `multipart/form-data` upload (field `file`, plus `title`, `description`, `tags`)
/// in constant memory: the parser sees one network buffer at a time and the file part goes
/// straight to a staging file, hashed as it is written.
struct MultipartUpload {
    var path: String
    /// The file's digests from the pass that wrote it; nil for a chunked request, whose length
    /// was unknown when the blocks had to be cut (the ingest then reads the file once more).
    var digest: ContentDigest?
    var description: UploadDescription

    /// Room for the form's other fields and boundaries on top of the file itself.
    static let formOverhead: Int64 = 1 << 20
    static let maximumFieldBytes = 64 * 1024
    /// The form's parts other than the file, and their bytes together: without these, thousands
    /// of fields of just under the per-field limit are held in memory until the request ends.
    static let maximumFields = 16
    static let maximumFieldsTotalBytes = 256 * 1024
    /// The fields the hub reads; others are counted against the limits and dropped.
    static let knownFields: Set<String> = ["title", "description", "tags", "shared"]

    static func receive(_ request: Request, staging: UploadStaging, maxFileBytes: Int64) async throws -> MultipartUpload {
        guard let contentType = request.headers[.contentType], let mediaType = MediaType(from: contentType),
            mediaType.isType(.multipartForm)
        else {
            throw APIError.unsupportedMediaType("send the video as multipart/form-data with a 'file' field, or use the tus endpoint /api/v1/uploads")
        }
        guard let boundary = mediaType.parameter?.value, mediaType.parameter?.name == "boundary", !boundary.isEmpty,
            boundary.utf8.count <= 70
        else {
            throw APIError.badRequest("the multipart/form-data Content-Type has no valid boundary", code: "invalid_multipart")
        }

        // The file is a little shorter than the request; the manifest records the block size
        // this picks, so the estimate only has to be close.
        let expectedSize = request.headers[.contentLength].flatMap { Int64($0) }.map { min($0, maxFileBytes) }
        var parser = MultipartStreamParser(boundary: boundary)
        let path = staging.temporaryPath(suffix: ".upload")
        var writer: StagedFileWriter?
        var fields: [String: String] = [:]
        var currentField: (name: String, filename: String?)?
        var fieldValue = ByteBuffer()
        var filename: String?
        var fieldCount = 0
        var fieldBytes = 0
        do {
            for try await buffer in request.body {
                for event in try parser.feed(buffer) {
                    switch event {
                    case .headers(let headers):
                        currentField = headers["content-disposition"].flatMap(Self.parseDisposition)
                        if currentField?.name == "file" {
                            guard writer == nil else { throw APIError.badRequest("only one 'file' field is accepted", code: "invalid_multipart") }
                            filename = currentField?.filename
                            writer = StagedFileWriter(
                                file: try await PosixFile.create(path), position: 0,
                                contentHash: expectedSize.map { ContentHasher(expectedSize: $0) }, requestDigest: nil)
                        } else {
                            fieldCount += 1
                            guard fieldCount <= maximumFields else {
                                throw APIError(status: 413, code: "too_many_fields", message: "a form may have at most \(maximumFields) fields besides 'file'")
                            }
                        }
                    case .body(var bytes):
                        if currentField?.name == "file", var fileWriter = writer {
                            guard fileWriter.end + Int64(bytes.readableBytes) <= maxFileBytes else { throw UploadError.tooLarge(limit: maxFileBytes) }
                            try await fileWriter.append(bytes)
                            writer = fileWriter
                        } else if currentField != nil {
                            guard fieldValue.readableBytes + bytes.readableBytes <= maximumFieldBytes else {
                                throw APIError(status: 413, code: "field_too_large", message: "form fields other than 'file' are limited to \(maximumFieldBytes) bytes")
                            }
                            fieldBytes += bytes.readableBytes
                            guard fieldBytes <= maximumFieldsTotalBytes else {
                                throw APIError(status: 413, code: "fields_too_large", message: "the form's fields besides 'file' may hold at most \(maximumFieldsTotalBytes) bytes together")
                            }
                            if let name = currentField?.name, knownFields.contains(name) { fieldValue.writeBuffer(&bytes) }
                        }
                    case .partEnd:
                        if let field = currentField, knownFields.contains(field.name) {
                            fields[field.name] = fieldValue.readString(length: fieldValue.readableBytes)
                        }
                        fieldValue.clear()
                        currentField = nil
                    }
                }
            }
            guard parser.isComplete else {
                throw APIError.badRequest("the multipart body ended before its closing boundary", code: "invalid_multipart")
            }
            guard var fileWriter = writer else {
                throw APIError.badRequest("the form has no 'file' field", code: "missing_file")
            }
            try await fileWriter.sync()
            let digest = try fileWriter.contentHash?.finalize()
            let description = UploadDescription(
                filename: filename, title: fields["title"], description: fields["description"],
                tags: UploadNaming.tags(fromList: fields["tags"]), shared: fields["shared"] == "true")
            return MultipartUpload(path: path, digest: digest, description: description)
        } catch {
            await staging.remove(path)
            throw error
        }
    }

    /// `form-data; name="file"; filename="clip.mp4"` → ("file", "clip.mp4").
    static func parseDisposition(_ value: String) -> (name: String, filename: String?)? {
        var name: String?
        var filename: String?
        for part in value.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
            var raw = pair[1].trimmingCharacters(in: .whitespaces)
            if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
            if key == "name" { name = raw }
            if key == "filename" { filename = raw }
        }
        return name.map { ($0, filename) }
    }
}

extension PosixFile {
    /// Creates (or truncates) a file for writing, on the thread pool.
    static func create(_ path: String) async throws -> PosixFile {
        try await NIOThreadPool.singleton.runIfActive {
            let file = try PosixFile(path: path, mode: .createOrOpenForWriting)
            try file.truncate(to: 0)
            return file
        }
    }
}
