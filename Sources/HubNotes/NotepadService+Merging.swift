import Foundation
import HubCore

/// Changes that come from elsewhere: another hub's history (an import now, peers next), a note
/// file without history, and the mirror catching up after a restart.
extension NotepadService {
    /// Applies changes made on another hub (an import now, peers later), skipping those already
    /// applied; returns how many were new. `owner` becomes the owner of notes new to this hub.
    public func merge(_ changes: [NoteChange], owner: UserID?, event: String) async throws -> Int {
        var applied = 0
        var order: [NoteID] = []
        var byNote: [NoteID: [NoteChange]] = [:]
        for change in changes {
            if byNote[change.note] == nil { order.append(change.note) }
            byNote[change.note, default: []].append(change)
        }
        for id in order {
            applied += try await merge(byNote[id]!, into: id, owner: owner, event: event)
        }
        return applied
    }

    private func merge(_ changes: [NoteChange], into id: NoteID, owner: UserID?, event: String) async throws -> Int {
        for _ in 0..<8 {
            let current = try await notes.note(id)
            var document = if let current { try await self.document(for: current) } else { NoteDocument(id: id, node: node.id) }
            var applied = 0
            do {
                for change in changes {
                    if try await notes.contains(change.stamp, in: id) { continue }
                    hlc.observe(change.stamp.clock)
                    document.apply(change)
                    let now = clock.now()
                    let note = document.note(ownerID: current?.ownerID ?? owner, recordedAt: now)
                    try await notes.record(change, resulting: note, at: now)
                    await didChange(note, change, by: nil, event: event)
                    applied += 1
                }
            } catch NoteRepositoryError.versionConflict {
                continue
            }
            documents.put(document)
            return applied
        }
        throw HubError(status: 409, code: "edit_conflict", message: "note \(id) is changing too often to merge; try again")
    }

    /// A note file without history (a mirror copy): created with its id, or saved over the
    /// current version when this hub has the note. Returns whether anything changed.
    func importSnapshot(_ file: NoteFile, by user: User) async throws -> Bool {
        let edit = NoteEdit(title: file.title, content: file.content, tags: file.tags, shared: file.shared)
        guard let existing = try await notes.note(file.id) else {
            _ = try await create(edit, id: file.id, by: user)
            return true
        }
        let result = try await commit(file.id, edit, baseVersion: nil, by: user, may: .modify, ifDeleted: .conflict)
        return result.note.version != existing.version
    }

    /// Queues for the mirror every note recorded since its last flush (all of them the first
    /// time), so files a crash left stale or missing are rewritten.
    @Sendable func reconcileMirror() async throws {
        let since = await mirror.lastFlush?.addingTimeInterval(-5) ?? .distantPast
        var after: NoteID?
        while true {
            let batch = try await notes.changed(since: since, after: after, limit: 1_000)
            for note in batch { await mirror.update(note) }
            await mirror.flush()
            guard batch.count == 1_000 else { return }
            after = batch.last?.id
        }
    }
}
