import HubCore

/// What this hub refuses of a peer's request, beyond malformed messages (`InvalidInput`).
public enum PeerError: DomainError, Equatable {
    /// The peer calls itself by this hub's name (`message` says which node and what to change).
    case duplicateNodeName(String)
    case pullTooLarge(limit: Int)
    case batchTooLarge(notes: Int, changes: Int)
    /// A catalogue message with more entries (or a pull naming more videos) than `limit`.
    case catalogueTooLarge(limit: Int)
    /// A block request for blocks past the end of the video's manifest, which has `count`.
    case blocksOutside(count: Int)
    case tooManyBlocks(limit: Int)
    /// No shared video of that id is held here (private videos are reported the same way).
    case videoNotHeld(VideoID)

    public var code: String {
        switch self {
        case .duplicateNodeName: "duplicate_node_name"
        case .pullTooLarge: "pull_too_large"
        case .batchTooLarge: "batch_too_large"
        case .catalogueTooLarge: "catalogue_too_large"
        case .blocksOutside: "range_not_satisfiable"
        case .tooManyBlocks: "too_many_blocks"
        case .videoNotHeld: "not_found"
        }
    }

    public var message: String {
        switch self {
        case .duplicateNodeName(let message): message
        case .pullTooLarge(let limit): "a pull may name at most \(limit) notes"
        case let .batchTooLarge(notes, changes): "a gossip request may carry at most \(notes) notes and \(changes) changes"
        case .catalogueTooLarge(let limit): "a catalogue message may carry or name at most \(limit) videos"
        case .blocksOutside(let count): "the video has \(count) blocks, numbered from 0; ask for a run of them"
        case .tooManyBlocks(let limit): "a block request may ask for 1 to \(limit) blocks"
        case .videoNotHeld(let video): "no shared video \(video) is held here"
        }
    }
}
