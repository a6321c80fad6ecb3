/// What the peer network needs of the notepad, and all it may do to it: offer the changes of
/// shared notes, merge what peers bring (held to the notepad's own rules), journal the exchange,
/// and hear of changes made here. `NotepadService` is the real one; the peer network depends on
/// nothing else of it.
public protocol SharedNotepad: Sendable {
    var node: NodeIdentity { get }
    /// A digest per shared note that may leave this hub, for anti-entropy's comparison.
    func syncDigests() async throws -> [NoteID: UInt64]
    /// What this hub holds of each note, as version vectors.
    func vectors(of ids: [NoteID]) async throws -> [NoteID: VersionVector]
    /// A note's changes from version `version` on, or beyond `have`: nil when it may not leave.
    func outgoing(_ id: NoteID, from version: Int, beyond have: VersionVector?) async throws -> NoteBatch?
    /// What the asker lacks of each note it names, for notes that may leave.
    func outgoing(_ holdings: [(note: NoteID, have: VersionVector)]) async throws -> [NoteBatch]
    /// Merges a peer's batches, refusing what the notepad's rules refuse.
    func merge(_ batches: [NoteBatch], fromPeer peer: String) async throws -> NoteMergeOutcome
    /// Adds an entry to the sync log.
    func recordSync(_ entry: SyncLogEntry)
    /// Calls `handler` with every change made on this hub to a note peers may hold.
    func onLocalChange(_ handler: @escaping @Sendable (NoteChangeNotice) -> Void)
}

/// What a merge did.
public struct NoteMergeOutcome: Sendable {
    public init() {}

    /// Changes that became new versions here.
    public var applied = 0
    /// Per note, the versions those changes became: what the peer network passes on.
    public var versions: [NoteID: ClosedRange<Int>] = [:]
    /// Notes whose batch was made on top of changes this hub does not hold yet: ask the
    /// sender for what is missing (`outgoing(_:beyond:)` on its side).
    public var behind: [NoteID] = []
    /// Notes whose batch held a change this hub must not accept, with why.
    public var refused: [(note: NoteID, reason: String)] = []
    /// Register writes that lost to concurrent ones (settled by clock, then node id).
    public var conflicts = 0
}

/// A note that changed: its new version, made by the last `count` changes, the latest
/// stamped `newest`.
public struct NoteChangeNotice: Sendable, Equatable {
    public var note: NoteID
    public var version: Int
    public var count: Int
    public var newest: HLCTimestamp

    public init(note: NoteID, version: Int, count: Int, newest: HLCTimestamp) {
        self.note = note
        self.version = version
        self.count = count
        self.newest = newest
    }
}
