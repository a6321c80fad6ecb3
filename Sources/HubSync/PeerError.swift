import HubCore

/// What this hub refuses of a peer's request, beyond malformed messages (`InvalidInput`).
public enum PeerError: DomainError, Equatable {
    /// The peer calls itself by this hub's name (`message` says which node and what to change).
    case duplicateNodeName(String)
    case pullTooLarge(limit: Int)
    case batchTooLarge(notes: Int, changes: Int)

    public var code: String {
        switch self {
        case .duplicateNodeName: "duplicate_node_name"
        case .pullTooLarge: "pull_too_large"
        case .batchTooLarge: "batch_too_large"
        }
    }

    public var message: String {
        switch self {
        case .duplicateNodeName(let message): message
        case .pullTooLarge(let limit): "a pull may name at most \(limit) notes"
        case let .batchTooLarge(notes, changes): "a gossip request may carry at most \(notes) notes and \(changes) changes"
        }
    }
}
