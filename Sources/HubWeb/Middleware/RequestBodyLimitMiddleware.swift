import HubCore
import HubMedia
import Hummingbird

/// How large a request body each route takes, in one table: uploads stream up to
/// `MAX_UPLOAD_BYTES`, note saves carry a whole note, everything else is small JSON.
struct RequestBodyLimits: Sendable {
    struct Limit: Equatable {
        var bytes: Int64
        /// The error code of a refusal (kept per route: clients already know them).
        var code: String
    }

    let upload: Int64
    let noteJSON: Int64
    /// Sign-in, tokens, users, peers, video edits: a few fields.
    static let json: Int64 = 1 << 20

    init(_ configuration: HubConfiguration) {
        upload = configuration.maxUploadBytes
        noteJSON = Self.noteJSON(maxContentBytes: configuration.noteMaxBytes)
    }

    /// A note's content may need six bytes per byte once JSON-escaped; three covers real text,
    /// plus room for the other fields.
    static func noteJSON(maxContentBytes: Int) -> Int64 {
        Int64(maxContentBytes) * 3 + 65_536
    }

    func limit(method: HTTPRequest.Method, path: String) -> Limit {
        if path.hasPrefix("/api/v1/uploads") { return Limit(bytes: upload, code: "payload_too_large") }
        if method == .post, path == "/api/v1/videos" {
            return Limit(bytes: upload + MultipartUpload.formOverhead, code: "payload_too_large")
        }
        if path.hasPrefix("/api/v1/notes") { return Limit(bytes: noteJSON, code: "note_too_large") }
        if method == .put, path.hasPrefix("/api/v1/videos/"), path.contains("/captions/") {
            return Limit(bytes: Int64(CaptionFile.maxBytes), code: "payload_too_large")
        }
        return Limit(bytes: Self.json, code: "payload_too_large")
    }
}

/// Refuses a body larger than its route takes from `Content-Length` alone, before a byte of it
/// is read (413), and a `Content-Length` that is not a number (400); `ConnectionGuard` then
/// closes the connection once the client has its answer. Both listeners use it: the web one
/// with `RequestBodyLimits`, the peer one with its single limit.
struct RequestBodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: @Sendable (HTTPRequest.Method, String) -> RequestBodyLimits.Limit

    init(limits: RequestBodyLimits) {
        limit = { limits.limit(method: $0, path: $1) }
    }

    init(bytes: Int64) {
        limit = { _, _ in RequestBodyLimits.Limit(bytes: bytes, code: "payload_too_large") }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let raw = request.headers[.contentLength] {
            guard let declared = HeaderInteger.parse(raw) else {
                throw APIError.badRequest("Content-Length must be a whole number of bytes", code: "invalid_content_length")
            }
            let limit = limit(request.method, request.uri.path)
            guard declared <= limit.bytes else {
                throw APIError(status: 413, code: limit.code, message: "this request's body may be at most \(limit.bytes) bytes")
            }
        }
        return try await next(request, context)
    }
}
