import Foundation

/// What the notepad refuses beyond malformed input (`InvalidInput`) and access (`AccessError`).
public enum NoteError: DomainError, Equatable {
    case versionNotFound(NoteID, latest: Int, asked: Int)
    /// In the trash, to someone who could restore it, until the given time.
    case inTrash(NoteID, until: String)
    /// Deleted, and asked to change: it must be restored first.
    case deleted(NoteID)
    case baseVersionAhead(NoteID, base: Int, latest: Int)
    /// Saves kept landing in between; the client should try again.
    case editConflict(NoteID)
    case alreadyShared(NoteID)
    case tooLarge(limit: Int)
    /// A peer's or an import's changes that the merge rules refused.
    case refused(String)

    public var code: String {
        switch self {
        case .versionNotFound: "version_not_found"
        case .inTrash, .deleted: "note_deleted"
        case .baseVersionAhead: "invalid_base_version"
        case .editConflict: "edit_conflict"
        case .alreadyShared: "already_shared"
        case .tooLarge: "note_too_large"
        case .refused: "refused"
        }
    }

    public var message: String {
        switch self {
        case let .versionNotFound(id, latest, asked): "note \(id) has versions 1 to \(latest), not \(asked)"
        case let .inTrash(id, until): "note \(id) is in the trash; restore it before \(until) to use it again"
        case .deleted(let id): "note \(id) was deleted; it must be restored before it can be changed"
        case let .baseVersionAhead(id, base, latest): "baseVersion \(base) does not exist; note \(id) is at version \(latest)"
        case .editConflict(let id): "note \(id) is changing too often to save; try again"
        case .alreadyShared(let id): "note \(id) is shared already, with its history"
        case .tooLarge(let limit): "a note's content may be at most \(limit) bytes"
        case .refused(let reason): "refused: \(reason)"
        }
    }
}
