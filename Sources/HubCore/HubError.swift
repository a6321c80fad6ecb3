/// The one error type the hub's domain throws: a stable machine-readable `code`, a message a
/// person can act on, and the HTTP status it maps to. HubWeb turns it into the JSON body
/// `{"error": {"code", "message"}}` in a single place, so every module reports failures the same way.
public struct HubError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String
    /// Extra response headers the protocol in question requires alongside the error
    /// (for example `Content-Range: bytes */size` on a 416, or `Tus-Version` on a 412).
    public let headers: [String: String]

    public init(status: Int, code: String, message: String, headers: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(code) (\(status)): \(message)" }
}

extension HubError {
    public static func badRequest(_ message: String, code: String = "bad_request") -> HubError {
        HubError(status: 400, code: code, message: message)
    }

    public static func notFound(_ what: String) -> HubError {
        HubError(status: 404, code: "not_found", message: "\(what) was not found")
    }

    public static func payloadTooLarge(limit: Int64) -> HubError {
        HubError(status: 413, code: "payload_too_large", message: "the upload exceeds the limit of \(limit) bytes")
    }

    public static func unsupportedMediaType(_ message: String) -> HubError {
        HubError(status: 415, code: "unsupported_media_type", message: message)
    }

    public static func insufficientStorage(_ message: String) -> HubError {
        HubError(status: 507, code: "insufficient_storage", message: message)
    }

    public static func unavailable(_ message: String) -> HubError {
        HubError(status: 503, code: "unavailable", message: message)
    }
}
