import HubCore

/// What the upload rules refuse (tus and multipart alike), beyond malformed headers
/// (`InvalidInput`).
public enum UploadError: DomainError, Equatable {
    case tooLarge(limit: Int64)
    /// Another request is writing to the same upload.
    case locked
    case offsetMismatch(given: Int64, actual: Int64)
    /// The body would go past `Upload-Length`; `declared` is the request's own length when it
    /// said so up front, `remaining` what the upload still takes.
    case exceedsLength(declared: Int64?, remaining: Int64, length: Int64)
    /// The body ended early; `checksummed` chunks are kept only whole.
    case incompleteBody(resumeAt: Int64, checksummed: Bool)
    case checksumMismatch(algorithm: String)
    case expired(UploadID)
    case notAVideo
    case diskFull

    public var code: String {
        switch self {
        case .tooLarge: "payload_too_large"
        case .locked: "upload_locked"
        case .offsetMismatch: "offset_mismatch"
        case .exceedsLength: "exceeds_upload_length"
        case .incompleteBody: "incomplete_body"
        case .checksumMismatch: "checksum_mismatch"
        case .expired: "upload_expired"
        case .notAVideo: "unsupported_media_type"
        case .diskFull: "insufficient_storage"
        }
    }

    public var message: String {
        switch self {
        case .tooLarge(let limit): "the upload exceeds the limit of \(limit) bytes"
        case .locked: "another request is writing to this upload; retry after it ends"
        case let .offsetMismatch(given, actual): "Upload-Offset is \(given) but the upload is at \(actual)"
        case let .exceedsLength(declared?, remaining, _): "the body (\(declared) bytes) goes past Upload-Length (\(remaining) bytes remain)"
        case let .exceedsLength(nil, _, length): "the body goes past Upload-Length (\(length) bytes)"
        case let .incompleteBody(offset, true):
            "the request body ended early; a chunk with Upload-Checksum is kept only whole, resume at offset \(offset)"
        case let .incompleteBody(offset, false): "the request body ended early; the bytes received were kept, resume at offset \(offset)"
        case .checksumMismatch(let algorithm):
            "the \(algorithm) checksum of the body does not match Upload-Checksum; the chunk was discarded"
        case .expired(let id): "upload \(id) expired; start a new one"
        case .notAVideo:
            "the uploaded file is not a video container the hub recognises (MP4, MOV, WebM, Matroska, Ogg, AVI, MPEG)"
        case .diskFull: "the server's disk is full; the upload can be resumed once space is freed"
        }
    }
}
