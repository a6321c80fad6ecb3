import Foundation
import HubCore
import Logging

/// The community notepad: every way a note is created, read, changed, shared, searched and
/// restored, with the access rules applied. Each change becomes one stamped `NoteChange` merged
/// into the note's `NoteDocument`, so saves based on an old version, concurrent saves and
/// peers' changes all merge instead of overwriting one another.
///
/// A save is optimistic: it reads the stored version, makes its change and records it only if
/// no other save recorded one meanwhile; otherwise it merges again on top of the newer version.
/// No lock is held across the database, so this holds across processes too.
public struct NotepadService: Sendable {
    public let notes: any NoteRepository
    /// The library a note's video is looked up in: a note may name only a video its writer may see.
    let videos: any VideoRepository
    public let analytics: NoteAnalyticsRecorder
    let analyticsRepository: any NoteAnalyticsRepository
    public let mirror: NoteMirror
    /// The sync log: local changes to shared notes here, peers' batches from the peer network.
    public let journal: SyncJournal
    /// Local changes to notes peers may hold, for the peer network to send.
    public let feed = NoteChangeFeed()
    /// Notes as HTML, rendered off the request threads and kept per version.
    public let html: NoteHTML
    public let node: NodeIdentity
    let hlc: HybridLogicalClock
    let clock: any WallClock
    let documents = NoteDocumentCache()
    public let maxContentBytes: Int
    public let logger: Logger

    public init(
        notes: any NoteRepository, videos: any VideoRepository, analytics: any NoteAnalyticsRepository, mirror: NoteMirror,
        syncLog: (any SyncLogRepository)? = nil, node: NodeIdentity, clock: any WallClock, maxContentBytes: Int = NoteLimits.defaultContentBytes,
        logger: Logger
    ) {
        self.notes = notes
        self.videos = videos
        self.analyticsRepository = analytics
        self.analytics = NoteAnalyticsRecorder(repository: analytics, clock: clock, logger: logger)
        self.mirror = mirror
        self.journal = SyncJournal(repository: syncLog, mirror: mirror, logger: logger)
        self.html = NoteHTML()
        self.node = node
        self.hlc = HybridLogicalClock(wallClock: clock)
        self.clock = clock
        self.maxContentBytes = maxContentBytes
        self.logger = logger
    }

    public struct SaveResult: Sendable {
        public var note: Note
        /// The save was based on an older version and merged with what changed since.
        public var merged: Bool
    }

    // MARK: - Reading

    /// A note the user may see (not counted as a view: for editors and history).
    public func note(_ id: NoteID, for user: User) async throws -> Note {
        try await load(id, for: user, may: .view, ifDeleted: .hide)
    }

    /// A note the user may see, counted as a view.
    public func view(_ id: NoteID, for user: User) async throws -> Note {
        let note = try await load(id, for: user, may: .view, ifDeleted: .hide)
        analytics.record(.viewed(id, by: user.id))
        return note
    }

    /// Lists, filters and searches what the user may see; a search is counted (with how many
    /// notes it found) when it asks for the first page.
    public func list(_ query: NoteQuery, for user: User) async throws -> Page<NoteListing> {
        var query = query
        query.visibility = AccessPolicy.visibility(for: user)
        query.home = node.id
        // The trash holds one's own notes (an admin's: everyone's).
        if query.deleted && !user.isAdmin { query.owner = user.id }
        query.text = query.text.map { String($0.prefix(500)) }
        let page = try await notes.list(query)
        if let text = query.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty, query.offset == 0 {
            analytics.record(.searched(query: String(text.prefix(200)), results: page.total, by: user.id))
        }
        return page
    }

    public func versions(of id: NoteID, for user: User) async throws -> [NoteVersionSummary] {
        _ = try await load(id, for: user, may: .view, ifDeleted: .hide)
        return try await notes.versions(of: id)
    }

    /// The note as it was at `version`.
    public func version(_ version: Int, of id: NoteID, for user: User) async throws -> Note {
        let current = try await load(id, for: user, may: .view, ifDeleted: .hide)
        guard (1...current.version).contains(version) else {
            throw NoteError.versionNotFound(id, latest: current.version, asked: version)
        }
        return try await rebuild(id, through: version).note(ownerID: current.ownerID, recordedAt: current.createdAt)
    }

    /// What changed, line by line, from version `from` to version `to`, at most `limit` lines.
    public func diff(of id: NoteID, from: Int, to: Int, limit: Int = 20_000, for user: User) async throws -> (lines: [TextDiff.Line], truncated: Bool) {
        let old = try await version(from, of: id, for: user)
        let new = try await version(to, of: id, for: user)
        return TextDiff.lines(from: old.content, to: new.content, limit: limit)
    }

    // MARK: - Changing

    public func create(_ draft: NoteEdit, id: NoteID = NoteID(), by user: User) async throws -> Note {
        var draft = try validate(draft)
        try await checkVideo(of: draft, for: user)
        // A new note starts without a video unless one is named.
        if draft.video == .some(nil) { draft.video = nil }
        if draft.title == nil { draft.title = Self.defaultTitle(for: draft.content ?? "") }
        var document = NoteDocument(id: id, node: node.id)
        guard let change = document.edit(draft, stamp: stamp(), author: node.author(user)) else {
            throw InvalidInput("a note needs a title or content", code: "invalid_note")
        }
        let now = clock.now()
        let note = document.note(ownerID: user.id, recordedAt: now)
        try await notes.record(change, resulting: note, at: now)
        documents.put(document)
        await didChange(note, [change], by: user.id, event: .local)
        return note
    }

    /// Saves title, content and tags (anyone who may see a shared note may; private notes only
    /// their owner) and sharing, deletion and the video (only the owner or an admin). With
    /// `baseVersion` older than the latest, the save is merged with what changed since.
    public func edit(_ id: NoteID, _ edit: NoteEdit, baseVersion: Int?, by user: User) async throws -> SaveResult {
        let edit = try validate(edit)
        try await checkVideo(of: edit, for: user)
        let manages = edit.shared != nil || edit.deleted != nil || edit.video != nil
        return try await commit(id, edit, baseVersion: baseVersion, by: user, may: manages ? .modify : .contribute, ifDeleted: .conflict)
    }

    public func setShared(_ id: NoteID, _ shared: Bool, by user: User) async throws -> Note {
        try await commit(id, NoteEdit(shared: shared), baseVersion: nil, by: user, may: .modify, ifDeleted: .conflict).note
    }

    /// Shares what the note says now and none of its history: a note's versions all travel with
    /// it once shared, so a secret replaced in version 2 would be readable in version 1. The
    /// current title, content, tags and video become a new shared note of one version, and this
    /// one (with its history) moves to its owner's trash. Only the owner may, since the new note
    /// is theirs.
    public func shareCurrentVersion(_ id: NoteID, by user: User) async throws -> Note {
        let note = try await load(id, for: user, may: .modify, ifDeleted: .conflict)
        guard note.ownerID == user.id else {
            throw AccessError.forbidden("only the note's owner can share its current version as a new note")
        }
        guard !note.isShared else {
            throw NoteError.alreadyShared(id)
        }
        let fresh = try await create(
            NoteEdit(title: note.title, content: note.content, tags: note.tags, shared: true, video: note.videoID.map { .some($0) }), by: user)
        try await delete(id, by: user)
        return fresh
    }

    /// Moves the note to the trash; its owner can restore it for `NoteLimits.trashRetention`.
    public func delete(_ id: NoteID, by user: User) async throws {
        _ = try await commit(id, NoteEdit(deleted: true), baseVersion: nil, by: user, may: .modify, ifDeleted: .hide)
    }

    public func restore(_ id: NoteID, by user: User) async throws -> Note {
        try await commit(id, NoteEdit(deleted: false), baseVersion: nil, by: user, may: .modify, ifDeleted: .allow).note
    }

    /// Makes a new version whose title, content and tags are those of an old one.
    public func restore(version: Int, of id: NoteID, by user: User) async throws -> Note {
        let old = try await self.version(version, of: id, for: user)
        return try await commit(
            id, NoteEdit(title: old.title, content: old.content, tags: old.tags), baseVersion: nil, by: user, may: .contribute,
            ifDeleted: .conflict
        ).note
    }

    /// Removes notes that have been in the trash longer than the retention, for good.
    public func purgeTrash() async throws -> Int {
        let purged = try await notes.purge(deletedBefore: clock.now().addingTimeInterval(-NoteLimits.trashRetention))
        for id in purged {
            documents.remove(id)
            mirror.remove(id)
        }
        return purged.count
    }

    public func analyticsReport(for user: User, days: Int = 30) async throws -> NoteAnalyticsReport {
        await analytics.flush()
        let now = clock.now()
        return try await analyticsRepository.report(
            visibility: AccessPolicy.visibility(for: user), searchesBy: user.isAdmin ? nil : user.id,
            since: now.addingTimeInterval(-Double(days - 1) * 86_400), until: now.addingTimeInterval(1))
    }

    // MARK: - Internals

    enum DeletedNote { case hide, conflict, allow }

    /// The note if the user may do `action` to it: 404 when it does not exist or they may not
    /// see it, 403 when they see it but may not do this.
    func load(_ id: NoteID, for user: User, may action: AccessPolicy.Action, ifDeleted: DeletedNote) async throws -> Note {
        guard let note = try await notes.note(id) else { throw AccessError.notFound("note \(id)") }
        // Another hub's note that its owner unshared is private to them, there: gone from here.
        if let home = note.homeNode, home != node.id, note.ownerID == nil, !note.isShared { throw AccessError.notFound("note \(id)") }
        try AccessPolicy.check(user, may: action == .modify ? .modify : .view, note, describedAs: "note \(id)")
        // A note from another hub is shared, unshared, deleted and restored by its owner there;
        // peers would refuse such a change from here anyway.
        if action == .modify, let home = note.homeNode, home != node.id, note.ownerID == nil {
            throw AccessError.forbidden(
                "note \(id) belongs to \(note.author) on another hub; only its owner there can do this")
        }
        if action == .contribute, !AccessPolicy.allows(user, to: .contribute, note) {
            throw AccessError.forbidden("only the owner can change a private note")
        }
        if let deletedAt = note.deletedAt {
            let until = deletedAt.addingTimeInterval(NoteLimits.trashRetention).formatted(.iso8601)
            switch ifDeleted {
            case .allow: break
            case .hide where AccessPolicy.allows(user, to: .modify, note):
                throw NoteError.inTrash(id, until: until)
            case .hide:
                throw AccessError.notFound("note \(id)")
            case .conflict:
                throw NoteError.deleted(id)
            }
        }
        return note
    }

    func commit(
        _ id: NoteID, _ edit: NoteEdit, baseVersion: Int?, by user: User, may action: AccessPolicy.Action, ifDeleted: DeletedNote
    ) async throws -> SaveResult {
        var baseVersion = baseVersion
        for _ in 0..<8 {
            let current = try await load(id, for: user, may: action, ifDeleted: ifDeleted)
            if let base = baseVersion {
                guard base >= 1 else {
                    throw InvalidInput("baseVersion must be 1 or more", code: "invalid_base_version")
                }
                guard base <= current.version else {
                    throw NoteError.baseVersionAhead(id, base: base, latest: current.version)
                }
            }
            // The document may be newer than the row read above (a save landed in between);
            // whatever the writer did not see is merged, never overwritten.
            var document = try await document(for: current)
            let reference = baseVersion ?? current.version
            let baseDocument: NoteDocument? = reference < document.version ? try await rebuild(id, through: reference) : nil
            // A new stamp must be later than every stamp in the note, even when this process's
            // clock reads earlier (a restart after the wall clock stepped back): otherwise a
            // title change would lose to the title it replaces.
            if let latest = document.updated?.stamp.clock { hlc.observe(latest) }
            guard let change = document.edit(edit, basedOn: baseDocument, stamp: stamp(), author: node.author(user)) else {
                documents.put(document)
                return SaveResult(note: current, merged: false)
            }
            let note = document.note(
                ownerID: current.ownerID, recordedAt: current.createdAt, content: baseDocument == nil ? edit.content : nil)
            do {
                try await notes.record(change, resulting: note, at: clock.now())
            } catch NoteRepositoryError.versionConflict {
                // Another save landed first: merge this one on top of it, as a save based on
                // the version this one read.
                baseVersion = baseVersion ?? current.version
                continue
            }
            documents.put(document)
            await didChange(note, [change], by: user.id, event: .local)
            return SaveResult(note: note, merged: baseDocument != nil)
        }
        throw NoteError.editConflict(id)
    }

    /// The note's document at its stored version: cached, or rebuilt from its history.
    func document(for note: Note) async throws -> NoteDocument {
        if let cached = documents.take(note.id, version: note.version) { return cached }
        return try await rebuild(note.id, through: nil)
    }

    func rebuild(_ id: NoteID, through version: Int?) async throws -> NoteDocument {
        NoteDocument(id: id, node: node.id, history: try await notes.changes(of: id, through: version))
    }

    private func stamp() -> ChangeStamp { ChangeStamp(clock: hlc.now(), node: node.id) }

    /// After changes were recorded: analytics, the mirror, and for notes peers may hold, the
    /// sync log and (for changes made here) the peer network.
    func didChange(_ note: Note, _ changes: [NoteChange], by user: UserID?, event: SyncLogEntry.Event) async {
        analytics.record(.edited(note.id, by: user))
        mirror.update(note)
        guard note.isShared || changes.contains(where: { $0.sharing != nil }) else { return }
        if event == .local || event == .imported {
            feed.publish(.init(note: note.id, version: note.version, count: changes.count, newest: changes.map(\.stamp.clock).max()!))
            for (offset, change) in changes.enumerated() {
                journal.record(.init(
                    at: clock.now(), event: event, note: note.id, version: note.version - changes.count + 1 + offset,
                    node: change.stamp.node, author: change.author, summary: change.summary))
            }
        }
    }

    /// A note may be attached only to a video its writer may see; otherwise it is "not found",
    /// as the video itself would be.
    func checkVideo(of edit: NoteEdit, for user: User) async throws {
        guard let id = edit.video ?? nil else { return }
        guard let video = try await videos.find(id) else { throw AccessError.notFound("video \(id)") }
        try AccessPolicy.check(user, may: .view, video, describedAs: "video \(id)")
    }

    /// Title, content and tags checked and normalised: a clear 400 (or 413 for content over
    /// `NOTE_MAX_BYTES`) before anything is stored.
    func validate(_ edit: NoteEdit) throws -> NoteEdit {
        var edit = edit
        if let title = edit.title {
            let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
            if let problem = NoteRules.titleProblem(trimmed) { throw InvalidInput(problem, code: "invalid_title") }
            edit.title = trimmed
        }
        if let content = edit.content, content.utf8.count > maxContentBytes {
            throw NoteError.tooLarge(limit: maxContentBytes)
        }
        if let tags = edit.tags {
            var seen = Set<String>()
            let cleaned = tags.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
                .filter { !$0.isEmpty && seen.insert($0).inserted }
            if let problem = NoteRules.tagsProblem(cleaned) { throw InvalidInput(problem, code: "invalid_tags") }
            edit.tags = cleaned
        }
        return edit
    }

    /// A note saved without a title is named after its first line.
    static func defaultTitle(for content: String) -> String {
        let line = content.split(whereSeparator: \.isNewline).lazy
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "#>*- \t")) }.first { !$0.isEmpty }
        guard let line else { return "Untitled note" }
        return line.count > 80 ? String(line.prefix(80)) + "…" : line
    }
}
