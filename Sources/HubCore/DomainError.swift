/// A failure the hub's domain reports on purpose: the request asked for something the rules do
/// not allow, or named something that is not there. Each domain has its own typed errors
/// (`AccessError`, `NoteError`, `UploadError`, `PeerError`, …) so callers can match the case
/// they handle. No domain module knows HTTP: HubWeb's `APIError.init(_:)` maps every case to a
/// status in one table, and the `code` and `message` become the JSON body
/// `{"error": {"code", "message", "requestId"}}` unchanged.
public protocol DomainError: Error, Sendable, CustomStringConvertible {
    /// Stable and machine-readable: clients and the command line match on it.
    var code: String { get }
    /// For a person: what went wrong and what to do about it.
    var message: String { get }
}

extension DomainError {
    public var description: String { "\(code): \(message)" }
}

/// Input that breaks a rule of its own shape (a name too long, a header that does not parse),
/// whoever sent it: a user, a peer or a file being imported.
public struct InvalidInput: DomainError, Equatable {
    public let code: String
    public let message: String

    public init(_ message: String, code: String) {
        self.code = code
        self.message = message
    }
}

/// Whether a user may see or change an item, as `AccessPolicy` decides.
public enum AccessError: DomainError, Equatable {
    /// Missing, or not visible to this user: the two are told apart to nobody, so ids cannot
    /// be probed for existence.
    case notFound(String)
    /// Visible, but not theirs to change: the message says whose it is.
    case forbidden(String)

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .forbidden: "forbidden"
        }
    }

    public var message: String {
        switch self {
        case .notFound(let what): "\(what) was not found"
        case .forbidden(let message): message
        }
    }
}
