import Foundation

/// Which notes a listing wants, and for whom.
public struct NoteQuery: Sendable, Equatable {
    /// Full-text search over title, content and tags (word prefixes, ranked); any text is safe.
    public var text: String?
    /// Only notes carrying this tag.
    public var tag: String?
    /// Only shared (true) or only private (false) notes.
    public var shared: Bool?
    /// Only notes of this account.
    public var owner: UserID?
    /// Only notes of this video.
    public var video: VideoID?
    /// The trash instead of the live notes.
    public var deleted: Bool
    /// Whole contents instead of excerpts (for a few notes shown in full, like a video's).
    public var fullContent: Bool
    public var visibility: Visibility
    /// This hub's node: notes made on other hubs are listed only while they are shared.
    public var home: NodeID?
    public var offset: Int
    public var limit: Int

    public init(
        text: String? = nil, tag: String? = nil, shared: Bool? = nil, owner: UserID? = nil, video: VideoID? = nil,
        deleted: Bool = false, fullContent: Bool = false, visibility: Visibility, offset: Int = 0, limit: Int = 50
    ) {
        self.text = text
        self.tag = tag
        self.shared = shared
        self.owner = owner
        self.video = video
        self.deleted = deleted
        self.fullContent = fullContent
        self.visibility = visibility
        self.offset = offset
        self.limit = limit
    }
}

/// A note in a listing (its content an excerpt, unless the query asked for it whole); for a
/// search, where it matched. Highlights mark matches with
/// `NoteHighlight.start`/`end` around them, for the caller to turn into markup after escaping.
public struct NoteListing: Sendable {
    public var note: Note
    public var titleHighlight: String?
    public var snippet: String?

    public init(note: Note, titleHighlight: String? = nil, snippet: String? = nil) {
        self.note = note
        self.titleHighlight = titleHighlight
        self.snippet = snippet
    }
}

/// The markers search puts around matched words: private-use characters that escaping leaves
/// alone and no keyboard types, replaced by `<mark>` only after the text is escaped.
public enum NoteHighlight {
    public static let start: Character = "\u{E000}"
    public static let end: Character = "\u{E001}"
}

/// One entry of a note's history.
public struct NoteVersionSummary: Sendable, Equatable {
    public var version: Int
    public var author: String
    public var stamp: ChangeStamp
    public var summary: String
    public var recordedAt: Date

    public init(version: Int, author: String, stamp: ChangeStamp, summary: String, recordedAt: Date) {
        self.version = version
        self.author = author
        self.stamp = stamp
        self.summary = summary
        self.recordedAt = recordedAt
    }
}

public enum NoteRepositoryError: Error, Equatable {
    /// Another writer recorded a version first; rebuild and try again.
    case versionConflict
}

/// Where notes and their histories live (SQLite now, PostgreSQL later).
public protocol NoteRepository: Sendable {
    /// The current state of a note, deleted or not.
    func note(_ id: NoteID) async throws -> Note?
    /// The note's changes in the order this hub applied them, up to and including `version`.
    func changes(of id: NoteID, through version: Int?) async throws -> [NoteChange]
    /// The note's changes after its first `version` versions, in order: what gossip sends.
    func changes(of id: NoteID, after version: Int) async throws -> [NoteChange]
    /// What the note's first `version` versions hold: the base of a gossip batch.
    func vector(of id: NoteID, through version: Int) async throws -> VersionVector
    /// Several notes at once (those that exist), for the peer network's batches.
    func notes(_ ids: [NoteID]) async throws -> [NoteID: Note]
    /// Several notes' whole histories at once, each in the order this hub applied them.
    func changes(of ids: [NoteID]) async throws -> [NoteID: [NoteChange]]
    /// What this hub holds of each note (the latest clock per node), without reading the
    /// changes themselves; notes it does not have are left out.
    func vectors(of ids: [NoteID]) async throws -> [NoteID: VersionVector]
    /// Whether a change with this stamp was applied to the note already (from a peer or an import).
    func contains(_ stamp: ChangeStamp, in note: NoteID) async throws -> Bool
    func versions(of id: NoteID) async throws -> [NoteVersionSummary]
    /// Stores `change` as version `note.version` and `note` as the current state, atomically.
    /// Throws `versionConflict` when version `note.version - 1` is no longer the latest.
    func record(_ change: NoteChange, resulting note: Note, at date: Date) async throws
    /// Records runs of changes in one transaction, all or none: each run's changes (of one
    /// note, in order) become versions up to `note.version`, and `note` its current state.
    /// How a peer's batch is stored without one fsync, or one row rewrite, per change.
    func record(_ runs: [(changes: [NoteChange], note: Note)], at date: Date) async throws
    /// For the peer network: every note that has ever been shared, with its sync digest (the
    /// XOR of its changes' `ChangeStamp.digest`). Notes never shared are not listed: they never
    /// leave this hub; nor are notes deleted before `deletedBefore`, which are about to be
    /// purged (so a hub that purged one does not pull it back from one that has not yet).
    func syncDigests(excludingDeletedBefore date: Date) async throws -> [NoteID: UInt64]
    func list(_ query: NoteQuery) async throws -> Page<NoteListing>
    /// Brings the search index up to date with up to `limit` saved notes (only those last saved
    /// before `queuedBefore`, when given); returns how many. Saves only queue their notes for
    /// it, so saving a large note does not wait for indexing.
    func indexQueued(limit: Int, queuedBefore: Date?) async throws -> Int
    /// Notes with changes recorded at or after `date` (deleted ones included), in id order
    /// after `after`: a page at a time.
    func changed(since date: Date, after: NoteID?, limit: Int) async throws -> [Note]
    /// Every note id, for exports and mirrors.
    func allIDs(includingDeleted: Bool) async throws -> [NoteID]
    /// Removes notes deleted before `date` for good, with their histories.
    func purge(deletedBefore date: Date) async throws -> [NoteID]
}
