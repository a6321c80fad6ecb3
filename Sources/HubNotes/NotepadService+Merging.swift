import Foundation
import HubCore

/// Changes that come from elsewhere (peers' batches, an import's histories, a note file without
/// history, the mirror catching up after a restart) and the changes this hub hands to peers.
extension NotepadService {
    /// Where merged changes came from, which decides what is accepted and how it is logged.
    public enum MergeSource: Sendable, Equatable {
        /// An export being imported: its notes become `owner`'s.
        case imported(owner: UserID?)
        /// A peer, named as the sync log shows it. Only a note's home hub may share, unshare,
        /// delete or restore it; such a change from elsewhere is refused.
        case peer(String)
    }

    public typealias MergeOutcome = NoteMergeOutcome

    /// Applies changes made on other hubs, skipping those already held: each batch's changes
    /// in order, once its base is held. The whole merge is one transaction when nothing races
    /// it (a peer's batch or a catch-up of thousands of notes costs one fsync); a note that a
    /// local save changed meanwhile is merged again on its own.
    public func merge(_ batches: [NoteBatch], from source: MergeSource) async throws -> MergeOutcome {
        var outcome = MergeOutcome()
        var order: [NoteID] = []
        var byNote: [NoteID: [NoteBatch]] = [:]
        for batch in batches {
            if byNote[batch.note] == nil { order.append(batch.note) }
            byNote[batch.note, default: []].append(batch)
        }
        var prepared: [Prepared] = []
        let current = try await notes.notes(order)
        for id in order {
            if let run = try await prepare(byNote[id]!, of: id, current: current[id], from: source, into: &outcome) { prepared.append(run) }
        }
        guard !prepared.isEmpty else { return outcome }
        do {
            try await notes.record(prepared.map { ($0.changes, $0.note) }, at: clock.now())
            // A catch-up of thousands of notes is one line of the log, not thousands.
            let itemised = prepared.count <= Self.itemisedNotes
            for run in prepared { await finish(run, from: source, itemised: itemised, into: &outcome) }
            if !itemised, case .peer(let peer) = source {
                journal.record(.init(
                    at: clock.now(), event: .applied, peer: peer, notes: prepared.count, changes: outcome.applied,
                    summary: "\(outcome.applied) changes of \(prepared.count) notes"))
            }
        } catch NoteRepositoryError.versionConflict {
            // A save landed on one of these notes meanwhile: the prepared documents are stale.
            for run in prepared { documents.remove(run.note.id) }
            for run in prepared {
                for attempt in 1...8 {
                    let current = try await notes.note(run.note.id)
                    guard let retry = try await prepare(byNote[run.note.id]!, of: run.note.id, current: current, from: source, into: &outcome)
                    else { break }
                    do {
                        try await notes.record([(retry.changes, retry.note)], at: clock.now())
                        await finish(retry, from: source, itemised: true, into: &outcome)
                        break
                    } catch NoteRepositoryError.versionConflict where attempt < 8 {
                        documents.remove(run.note.id)
                    }
                }
            }
        }
        return outcome
    }

    /// Applies `changes` (one note's or many, each note's in its history's order) from an
    /// export; returns how many were new. Notes new to this hub become `owner`'s.
    public func merge(_ changes: [NoteChange], owner: UserID?) async throws -> Int {
        try await importChanges(changes, owner: owner).applied
    }

    /// `merge(_:owner:)`, with what was refused and why.
    public func importChanges(_ changes: [NoteChange], owner: UserID?) async throws -> MergeOutcome {
        var batches: [NoteBatch] = []
        for change in changes {
            if batches.last?.note == change.note {
                batches[batches.count - 1].changes.append(change)
            } else {
                batches.append(NoteBatch(note: change.note, base: VersionVector(), changes: [change]))
            }
        }
        return try await merge(batches, from: .imported(owner: owner))
    }

    /// How far ahead of this hub's clock a peer's stamp may be.
    static let maxClockSkew: TimeInterval = 300

    struct Prepared {
        var document: NoteDocument
        var changes: [NoteChange]
        var note: Note
        var conflicts: Int
    }

    /// One note's batches applied to its document in memory, not yet recorded: nil when
    /// nothing in them is new (or they cannot be applied yet, or were refused).
    private func prepare(
        _ batches: [NoteBatch], of id: NoteID, current: Note?, from source: MergeSource, into outcome: inout MergeOutcome
    ) async throws -> Prepared? {
        var document = if let current { try await self.document(for: current) } else { NoteDocument(id: id, node: node.id) }
        let conflictsBefore = document.conflicts
        var fresh: [NoteChange] = []
        // Any refused change refuses everything these batches bring to the note: a batch is
        // applied whole or not at all, and the document (a copy) is dropped, not cached.
        func refuse(_ reason: String) -> Prepared? {
            outcome.refused.append((id, reason))
            return nil
        }
        batches: for batch in batches {
            guard document.vector.dominates(batch.base) else {
                outcome.behind.append(id)
                break
            }
            for change in batch.changes where change.note == id && !document.vector.covers(change.stamp) {
                if let reason = refusal(of: change, to: document, current: current) { return refuse(reason) }
                if let reason = try await videoRefusal(of: change) { return refuse(reason) }
                if let reason = document.applyChecked(change, ownNodeName: node.name) { return refuse(reason) }
                hlc.observe(change.stamp.clock)
                fresh.append(change)
            }
        }
        guard !fresh.isEmpty else {
            if current != nil { documents.put(document) }
            return nil
        }
        // Four bytes per scalar at most: only a note near the limit is measured exactly.
        if document.text.count * 4 > maxContentBytes, document.text.text.utf8.count > maxContentBytes {
            return refuse("the note's content would exceed \(maxContentBytes) bytes")
        }
        let owner: UserID? = if case .imported(let owner) = source { owner } else { nil }
        let note = document.note(ownerID: current?.ownerID ?? owner, recordedAt: clock.now())
        return Prepared(document: document, changes: fresh, note: note, conflicts: document.conflicts - conflictsBefore)
    }

    /// A note from elsewhere may name a video of its own hub (unknown here) or one shared here;
    /// naming a video that is private on this hub would attach the note to something its
    /// writer cannot see, as no local save may.
    private func videoRefusal(of change: NoteChange) async throws -> String? {
        for operation in change.operations {
            guard case .video(let id?) = operation, let video = try await videos.find(id), !video.isShared else { continue }
            return "\(change.author)'s change attaches the note to video \(id), which is private on this hub"
        }
        return nil
    }

    /// Why a change from elsewhere (a peer, or an export being imported) must not be applied,
    /// if it must not. The rules stop anyone from acting as this hub or as a note's home:
    /// - a change stamped with this hub's node id that this hub does not hold was not made here;
    /// - a note that is private here takes no change from elsewhere at all;
    /// - sharing and deletion belong to the note's owner, on the hub the note was made on.
    private func refusal(of change: NoteChange, to document: NoteDocument, current: Note?) -> String? {
        // A clock far ahead would drag this hub's clock (and every later stamp) with it.
        if change.stamp.clock.date > clock.now().addingTimeInterval(Self.maxClockSkew) {
            return "\(change.author)'s change is stamped \(change.stamp.clock.date.formatted(.iso8601)), too far ahead of this hub's clock"
        }
        if change.stamp.node == node.id {
            return "a change stamped with this hub's node id that this hub never made"
        }
        if let current, current.ownerID != nil || current.homeNode == node.id, !current.isShared {
            return "note \(current.id) is private on this hub"
        }
        let home = document.homeNode ?? change.stamp.node
        guard change.stamp.node != home else { return nil }
        for operation in change.operations {
            switch operation {
            case .shared: return "\(change.author) may not share or unshare a note made on another hub"
            case .deleted: return "\(change.author) may not delete or restore a note made on another hub"
            case .text, .title, .tags, .video: continue
            }
        }
        return nil
    }

    /// Up to how many notes a merge logs one `applied` entry each.
    static let itemisedNotes = 20

    private func finish(_ run: Prepared, from source: MergeSource, itemised: Bool, into outcome: inout MergeOutcome) async {
        documents.put(run.document)
        outcome.applied += run.changes.count
        outcome.versions[run.note.id] = (run.note.version - run.changes.count + 1)...run.note.version
        outcome.conflicts += run.conflicts
        switch source {
        case .imported:
            await didChange(run.note, run.changes, by: nil, event: .imported)
        case .peer(let peer):
            await didChange(run.note, run.changes, by: nil, event: .applied)
            let last = run.changes[run.changes.count - 1]
            if itemised {
                journal.record(.init(
                    at: clock.now(), event: .applied, peer: peer, note: run.note.id, version: run.note.version, node: last.stamp.node,
                    author: last.author, changes: run.changes.count,
                    summary: run.changes.count == 1 ? last.summary : "\(run.changes.count) changes, up to version \(run.note.version)"))
            }
            if run.conflicts > 0 {
                journal.record(.init(
                    at: clock.now(), event: .conflict, peer: peer, note: run.note.id, version: run.note.version,
                    summary: "\(run.conflicts) concurrent register write(s) settled by (clock, node); the text kept both sides"))
            }
        }
    }

    // MARK: - What peers receive

    /// The changes of a note that may leave this hub, as a batch: those `have` does not cover
    /// (a peer's copy), or with `have` nil those from version `from` on. Nil for a note that
    /// was never shared: private notes never leave. A note unshared since goes as far as its
    /// unsharing, so peers hide it, and no further: what its owner writes after stays here.
    public func outgoing(_ id: NoteID, from version: Int = 1, beyond have: VersionVector? = nil) async throws -> NoteBatch? {
        guard let note = try await notes.note(id) else { return nil }
        // The common case, a shared note's latest changes, reads only those (and the vector
        // of the versions before them), however long the note's history.
        if have == nil, note.isShared, version > 1 {
            let base = try await notes.vector(of: id, through: version - 1)
            return NoteBatch(note: id, base: base, changes: try await notes.changes(of: id, after: version - 1))
        }
        return Self.offer(note, history: try await notes.changes(of: id, through: nil), from: version, beyond: have)
    }

    /// Every note peers may hold, with its digest: anti-entropy's summary.
    public func syncDigests() async throws -> [NoteID: UInt64] {
        try await notes.syncDigests(excludingDeletedBefore: clock.now().addingTimeInterval(-NoteLimits.trashRetention + 86_400))
    }

    /// `outgoing(_:beyond:)` for many notes at once (an anti-entropy pull), read in two queries.
    public func outgoing(_ holdings: [(note: NoteID, have: VersionVector)]) async throws -> [NoteBatch] {
        let ids = holdings.map(\.note)
        let (found, histories) = (try await notes.notes(ids), try await notes.changes(of: ids))
        return holdings.compactMap { holding in
            found[holding.note].flatMap { Self.offer($0, history: histories[holding.note] ?? [], from: 1, beyond: holding.have) }
        }
    }

    static func offer(_ note: Note, history: [NoteChange], from version: Int, beyond have: VersionVector?) -> NoteBatch? {
        guard history.contains(where: { $0.sharing == true }) else { return nil }
        let end = note.isShared ? history.count : (history.lastIndex { $0.sharing == false }.map { $0 + 1 } ?? 0)
        let visible = history[..<end]
        if let have {
            return NoteBatch(note: note.id, base: have, changes: visible.filter { !have.covers($0.stamp) })
        }
        let start = min(max(version - 1, 0), visible.count)
        return NoteBatch(note: note.id, base: VersionVector(visible[..<start].map(\.stamp)), changes: Array(visible[start...]))
    }

    /// What this hub holds of each note, for asking a peer for the rest (empty for notes it
    /// does not have).
    public func vectors(of ids: [NoteID]) async throws -> [NoteID: VersionVector] {
        try await notes.vectors(of: ids)
    }

    public func vector(of id: NoteID) async throws -> VersionVector {
        try await notes.vectors(of: [id])[id] ?? VersionVector()
    }

    // MARK: - Files

    /// A note file without history (a mirror copy): created with its id, or saved over the
    /// current version when this hub has the note and shares it. A file says whatever its
    /// maker typed, so over a note that exists it changes title, content and tags only: never
    /// its sharing, and never a note that is private here. Returns whether anything changed.
    func importSnapshot(_ file: NoteFile, by user: User) async throws -> Bool {
        guard let existing = try await notes.note(file.id) else {
            _ = try await create(NoteEdit(title: file.title, content: file.content, tags: file.tags, shared: file.shared), id: file.id, by: user)
            return true
        }
        guard existing.isShared else {
            throw AccessError.forbidden("note \(file.id) is private on this hub; an import does not change it")
        }
        let edit = try validate(NoteEdit(title: file.title, content: file.content, tags: file.tags))
        let result = try await commit(file.id, edit, baseVersion: nil, by: user, may: .contribute, ifDeleted: .conflict)
        return result.note.version != existing.version
    }

    /// Queues for the mirror every note recorded since its last flush (all of them the first
    /// time), so files a crash left stale or missing are rewritten.
    @Sendable func reconcileMirror() async throws {
        try await reconcileMirror(since: await mirror.lastFlush?.addingTimeInterval(-5) ?? .distantPast)
    }

    func reconcileMirror(since: Date) async throws {
        var after: NoteID?
        while true {
            let batch = try await notes.changed(since: since, after: after, limit: 1_000)
            for note in batch { mirror.update(note) }
            await mirror.flush()
            guard batch.count == 1_000 else { return }
            after = batch.last?.id
        }
    }
}
