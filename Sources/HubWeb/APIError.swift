import Foundation
import HTTPTypes
import HubAPI
import HubCore
import HubMedia
import HubSync
import HubSystem
import Hummingbird
import NIOCore
import NIOHTTP1

/// An error as the API answers it: a status, the JSON body `{"error": {"code", "message",
/// "requestId"}}`, and any headers the protocol requires with it (`Content-Range` on a 416,
/// `Tus-Version` on a 412). HubWeb's own checks of requests throw it directly; everything a
/// domain module throws becomes one through `init(_:)`, the one table from domain errors to
/// HTTP.
struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    let headers: [String: String]

    init(status: HTTPResponse.Status, code: String, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    var description: String { "\(code) (\(status.code)): \(message)" }

    static func badRequest(_ message: String, code: String) -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }

    static func notFound(_ what: String) -> APIError { APIError(AccessError.notFound(what)) }

    static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(status: .unsupportedMediaType, code: "unsupported_media_type", message: message)
    }

    /// A request body that is not JSON, or not JSON of the shape the route takes. Every route
    /// answers it the same way, whichever decoder found it.
    static func malformedJSON(_ error: any Error) -> APIError {
        APIError(status: .badRequest, code: "invalid_json", message: "the request body is not valid JSON of the expected shape: \(Self.describe(error))")
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "'\(key.stringValue)' is missing"
        case DecodingError.valueNotFound(_, let context), DecodingError.typeMismatch(_, let context):
            "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted(let context): context.debugDescription
        default: "\(error)"
        }
    }
}

extension APIError {
    /// The one table from what went wrong to the HTTP status it is answered with. Domain
    /// errors keep their code and message; the switches are exhaustive, so a new case cannot
    /// ship without a status. Anything unknown is a 500 that reveals nothing internal.
    init(_ error: any Error) {
        switch error {
        case let error as APIError: self = error
        case let error as any DomainError:
            self.init(status: Self.status(of: error), code: error.code, message: error.message, headers: Self.headers(of: error))
        case let error as ObjectStoreError: self = Self.storage(error)
        case let error as DatabaseUnavailable:
            // The database is away or overloaded: the server's problem, and a passing one.
            self.init(status: .serviceUnavailable, code: "database_unavailable", message: "the database is unavailable: \(error.reason)")
        case let error as PosixError where error.isNoSpace:
            self.init(status: .insufficientStorage, code: "insufficient_storage", message: "the server's disk is full")
        case let error as HTTPError:
            // Hummingbird's own refusals (no route, wrong method).
            self.init(status: error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        case is HTTPParserError:
            // The body's framing broke mid-request (a chunk size of 2^72, say): the client's fault.
            self.init(status: .badRequest, code: "malformed_request", message: "the request is malformed: \(error)")
        case is NIOTooManyBytesError:
            self.init(status: .contentTooLarge, code: "payload_too_large", message: "the request body is too large")
        case is DecodingError:
            self = .malformedJSON(error)
        default:
            self.init(status: .internalServerError, code: "internal_error", message: "an unexpected error occurred; it has been logged")
        }
    }

    private static func status(of error: any DomainError) -> HTTPResponse.Status {
        switch error {
        case is InvalidInput: .badRequest
        case let error as AccessError:
            switch error {
            case .notFound: .notFound
            case .forbidden: .forbidden
            }
        case let error as AccountError:
            switch error {
            case .nameTaken, .ownAccount: .conflict
            case .invalidInvitation, .signupClosed, .wrongPassword: .forbidden
            case .invalidCredentials: .unauthorized
            case .tooManyAttempts: .tooManyRequests
            }
        case let error as NoteError:
            switch error {
            case .versionNotFound, .inTrash: .notFound
            case .deleted, .baseVersionAhead, .editConflict, .alreadyShared: .conflict
            case .tooLarge: .contentTooLarge
            case .refused: .forbidden
            }
        case let error as UploadError:
            switch error {
            case .tooLarge, .exceedsLength: .contentTooLarge
            case .locked: .locked
            case .offsetMismatch: .conflict
            case .incompleteBody: .badRequest
            // tus's checksum extension names this status; it has no reason phrase of its own.
            case .checksumMismatch: HTTPResponse.Status(code: 460, reasonPhrase: "Checksum Mismatch")
            case .expired: .gone
            case .notAVideo: .unsupportedMediaType
            case .diskFull: .insufficientStorage
            }
        case let error as PeerError:
            switch error {
            case .duplicateNodeName: .conflict
            case .pullTooLarge, .batchTooLarge, .catalogueTooLarge: .contentTooLarge
            case .blocksOutside: .rangeNotSatisfiable
            case .tooManyBlocks: .badRequest
            case .videoNotHeld: .notFound
            }
        case is PeerVideoUnavailable: .serviceUnavailable
        case is ProcessingError: .conflict
        case is CaptionError: .badRequest
        default: .internalServerError
        }
    }

    private static func headers(of error: any DomainError) -> [String: String] {
        switch error {
        case AccountError.tooManyAttempts(let seconds): ["Retry-After": String(seconds)]
        default: [:]
        }
    }

    /// A store that fails is the server's problem (503, 507), never the client's; a missing
    /// object behind an existing video is reported as missing.
    private static func storage(_ error: ObjectStoreError) -> APIError {
        switch error {
        case .notFound: .notFound("the stored object")
        case .accessDenied(let message): APIError(status: .serviceUnavailable, code: "storage_access_denied", message: message)
        case .unavailable(let message), .unreachable(let message):
            APIError(status: .serviceUnavailable, code: "unavailable", message: "storage is unavailable: \(message)")
        case .preconditionFailed(let message): APIError(status: .preconditionFailed, code: "precondition_failed", message: message)
        case .insufficientStorage(let message): APIError(status: .insufficientStorage, code: "insufficient_storage", message: message)
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        default: status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
        }
    }
}

extension HTTPResponse.Status {
    /// WebDAV's, which tus uses for an upload another request holds.
    static let locked = HTTPResponse.Status(code: 423, reasonPhrase: "Locked")
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}

extension APIError {
    func response(requestID: String?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        for (name, value) in self.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        let body = APIErrorBody(error: .init(code: code, message: message, requestId: requestID))
        let data = (try? JSONEncoder().encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":""}}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Decodes request bodies as JSON for every route, so a malformed body is the same
/// `invalid_json` error whichever route received it (Hummingbird's default decoder answers
/// `bad_request` with its own wording).
public struct JSONBodyDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        return try Self.decode(type, from: buffer)
    }

    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(APIError) -> T {
        do {
            return try WireFormat.decoder().decode(type, from: Data(buffer.readableBytesView))
        } catch {
            throw .malformedJSON(error)
        }
    }
}
