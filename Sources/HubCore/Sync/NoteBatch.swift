/// Changes of one note as they travel between hubs: applicable on a hub whose copy of the
/// note holds at least `base` (what the sender's copy held before these changes), so every hub
/// applies a note's changes in causal order. A hub that is behind asks for what it lacks.
public struct NoteBatch: Sendable, Codable, Equatable {
    public var note: NoteID
    public var base: VersionVector
    public var changes: [NoteChange]

    public init(note: NoteID, base: VersionVector, changes: [NoteChange]) {
        self.note = note
        self.base = base
        self.changes = changes
    }
}
