import Foundation

/// One line of the sync log: a change made or imported here, or a batch exchanged with a peer
/// (sent, received, applied, refused), or a conflict settled by the merge rules. Kept in the
/// database (`GET /api/v1/sync/log`) and, the latest entries, in `sync_log.json`.
public struct SyncLogEntry: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable, CaseIterable {
        /// A change made on this hub to a shared note.
        case local
        /// Changes merged from an export (`streamhub notes import`).
        case imported
        /// A batch pushed or answered to a peer.
        case sent
        /// A batch that arrived from a peer.
        case received
        /// Changes from a peer that became new versions here.
        case applied
        /// A request or changes refused: unsigned or wrongly signed, or a change only the
        /// note's home hub may make.
        case refused
        /// Concurrent writes to a title, tags or another register, settled by (clock, node).
        case conflict
    }

    public var id: Int64?
    public var at: Date
    public var event: Event
    /// The peer, as `name (host:port)`, for exchanges.
    public var peer: String?
    public var note: NoteID?
    public var version: Int?
    public var node: NodeID?
    public var author: String?
    /// How many notes and changes a batch held.
    public var notes: Int?
    public var changes: Int?
    public var summary: String

    public init(
        id: Int64? = nil, at: Date, event: Event, peer: String? = nil, note: NoteID? = nil, version: Int? = nil, node: NodeID? = nil,
        author: String? = nil, notes: Int? = nil, changes: Int? = nil, summary: String
    ) {
        self.id = id
        self.at = at
        self.event = event
        self.peer = peer
        self.note = note
        self.version = version
        self.node = node
        self.author = author
        self.notes = notes
        self.changes = changes
        self.summary = summary
    }
}

/// Where the sync log is kept.
public protocol SyncLogRepository: Sendable {
    func append(_ entries: [SyncLogEntry]) async throws
    /// The newest entries first, older than `before` (an entry id) when given.
    func recent(limit: Int, before: Int64?) async throws -> [SyncLogEntry]
    /// Keeps the newest `count` entries.
    func trim(keeping count: Int) async throws
}
