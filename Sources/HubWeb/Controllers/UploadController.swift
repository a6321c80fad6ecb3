import Foundation
import HTTPTypes
import HubCore
import HubMedia
import Hummingbird

/// tus 1.0.0 at `/api/v1/uploads`: translates headers to `TusUploadService` calls and back.
struct UploadController: Sendable {
    let uploads: TusUploadService
    let maxUploadBytes: Int64

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.on("uploads", method: .options, use: options)
        group.post("uploads", use: create)
        group.on("uploads/:id", method: .options, use: options)
        group.head("uploads/:id", use: head)
        group.patch("uploads/:id", use: patch)
        group.delete("uploads/:id", use: terminate)
        // tus allows POST with X-HTTP-Method-Override for clients behind proxies that drop
        // PATCH and DELETE.
        group.post("uploads/:id", use: override)
    }

    @Sendable func options(_ request: Request, context: SignedInContext) async throws -> Response {
        var headers = tusHeaders()
        headers[.tusVersion] = TusProtocol.version
        headers[.tusExtension] = TusProtocol.extensions
        headers[.tusMaxSize] = String(maxUploadBytes)
        headers[.tusChecksumAlgorithm] = UploadChecksum.supportedAlgorithms
        return Response(status: .noContent, headers: headers)
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireTusVersion(request)
        if request.headers[.uploadDeferLength] != nil {
            throw APIError.badRequest("Upload-Defer-Length is not supported; send Upload-Length", code: "missing_upload_length")
        }
        guard let lengthText = request.headers[.uploadLength] else {
            throw APIError.badRequest("Upload-Length is required", code: "missing_upload_length")
        }
        guard let length = HeaderInteger.parse(lengthText) else {
            throw APIError.badRequest("Upload-Length must be a non-negative integer", code: "invalid_upload_length")
        }
        let metadata = try UploadMetadata.parse(request.headers[.uploadMetadata])
        // Checked before anything is created, so a refused chunk leaves no upload behind.
        let checksum = try UploadChecksum(header: request.headers[.uploadChecksum])
        let hasBody = request.headers[.contentType] == TusProtocol.offsetOctetStream
        let record = try await uploads.create(length: length, metadata: metadata, owner: context.user.id)

        var progress = TusUploadService.Progress(upload: record, videoID: nil)
        if hasBody || length == 0 {
            // creation-with-upload: the first chunk rides on the POST. A failure here still
            // leaves a created upload the client can resume, so report it with its Location.
            do {
                progress = try await uploads.append(
                    record.id, at: 0, declaredLength: Self.contentLength(request), checksum: checksum,
                    body: hasBody ? request.body : RequestBody(buffer: .init()))
            } catch let error as any DomainError {
                var response = APIError(error).response(requestID: context.id)
                response.headers[HTTPField.Name.location] = Self.location(record.id)
                return response
            }
        }
        var headers = progressHeaders(progress)
        headers[.location] = Self.location(record.id)
        return Response(status: .created, headers: headers)
    }

    @Sendable func head(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireTusVersion(request)
        let progress = try await uploads.status(try await ownUploadID(context))
        var headers = progressHeaders(progress)
        headers[.uploadLength] = String(progress.upload.length)
        headers[.cacheControl] = "no-store"
        if !progress.upload.metadata.isEmpty {
            headers[.uploadMetadata] = UploadMetadata.encode(progress.upload.metadata)
        }
        return Response(status: .ok, headers: headers)
    }

    @Sendable func patch(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireTusVersion(request)
        guard request.headers[.contentType] == TusProtocol.offsetOctetStream else {
            throw APIError.unsupportedMediaType("a tus PATCH must have Content-Type: \(TusProtocol.offsetOctetStream)")
        }
        guard let offsetText = request.headers[.uploadOffset], let offset = HeaderInteger.parse(offsetText) else {
            throw APIError.badRequest("Upload-Offset must be a non-negative integer", code: "invalid_upload_offset")
        }
        let checksum = try UploadChecksum(header: request.headers[.uploadChecksum])
        let progress = try await uploads.append(
            try await ownUploadID(context), at: offset, declaredLength: Self.contentLength(request), checksum: checksum,
            body: request.body)
        return Response(status: .noContent, headers: progressHeaders(progress))
    }

    @Sendable func terminate(_ request: Request, context: SignedInContext) async throws -> Response {
        try requireTusVersion(request)
        try await uploads.terminate(try await ownUploadID(context))
        return Response(status: .noContent, headers: tusHeaders())
    }

    @Sendable func override(_ request: Request, context: SignedInContext) async throws -> Response {
        guard let method = request.headers[.httpMethodOverride] else {
            throw APIError.badRequest("POST to an upload needs X-HTTP-Method-Override: PATCH or DELETE", code: "missing_method_override")
        }
        switch method.uppercased() {
        case "PATCH": return try await patch(request, context: context)
        case "DELETE": return try await terminate(request, context: context)
        case "HEAD": return try await head(request, context: context)
        default: throw APIError(status: 405, code: "method_not_allowed", message: "X-HTTP-Method-Override must be PATCH or DELETE")
        }
    }

    // MARK: - Helpers

    private func requireTusVersion(_ request: Request) throws {
        guard request.headers[.tusResumable] == TusProtocol.version else {
            throw APIError(
                status: 412, code: "unsupported_tus_version",
                message: "this server speaks tus \(TusProtocol.version); send Tus-Resumable: \(TusProtocol.version)",
                headers: ["Tus-Resumable": TusProtocol.version, "Tus-Version": TusProtocol.version])
        }
    }

    /// The route's upload, when the caller may touch it: an upload belongs to whoever created
    /// it (and admins); anyone else is told it does not exist.
    private func ownUploadID(_ context: SignedInContext) async throws -> UploadID {
        guard let id = UploadID(try context.parameters.require("id")) else { throw APIError.notFound("upload") }
        let record = try await uploads.status(id).upload
        try AccessPolicy.check(context.user, may: .modify, record, describedAs: "upload \(id)")
        return id
    }

    private func tusHeaders() -> HTTPFields {
        var headers = HTTPFields()
        headers[.tusResumable] = TusProtocol.version
        return headers
    }

    private func progressHeaders(_ progress: TusUploadService.Progress) -> HTTPFields {
        var headers = tusHeaders()
        headers[.uploadOffset] = String(progress.upload.offset)
        if let videoID = progress.videoID {
            headers[.streamHubVideoID] = videoID.rawValue
            if let status = progress.videoStatus { headers[.streamHubVideoStatus] = status.rawValue }
        } else {
            headers[.uploadExpires] = HTTPDate.format(progress.upload.expiresAt)
        }
        return headers
    }

    static func location(_ id: UploadID) -> String { "/api/v1/uploads/\(id)" }

    static func contentLength(_ request: Request) -> Int64? {
        request.headers[.contentLength].flatMap(HeaderInteger.parse)
    }

}

/// Constants of tus 1.0.0 as this server implements it.
enum TusProtocol {
    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,termination,checksum,expiration"
    static let offsetOctetStream = "application/offset+octet-stream"
}

extension HTTPField.Name {
    static let tusResumable = Self("Tus-Resumable")!
    static let tusVersion = Self("Tus-Version")!
    static let tusExtension = Self("Tus-Extension")!
    static let tusMaxSize = Self("Tus-Max-Size")!
    static let tusChecksumAlgorithm = Self("Tus-Checksum-Algorithm")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadDeferLength = Self("Upload-Defer-Length")!
    static let uploadExpires = Self("Upload-Expires")!
    static let uploadChecksum = Self("Upload-Checksum")!
    static let httpMethodOverride = Self("X-HTTP-Method-Override")!
    static let streamHubVideoID = Self("Stream-Hub-Video-Id")!
    /// `processing`, `ready` or `failed`, on `HEAD` of an upload that became a video.
    static let streamHubVideoStatus = Self("Stream-Hub-Video-Status")!
}
