import HubCore

/// The notepad as the peer network sees it.
extension NotepadService: SharedNotepad {
    public func merge(_ batches: [NoteBatch], fromPeer peer: String) async throws -> NoteMergeOutcome {
        try await merge(batches, from: .peer(peer))
    }

    public func recordSync(_ entry: SyncLogEntry) {
        journal.record(entry)
    }

    public func onLocalChange(_ handler: @escaping @Sendable (NoteChangeNotice) -> Void) {
        feed.subscribe(handler)
    }
}
