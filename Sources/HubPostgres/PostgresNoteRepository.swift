import Foundation
import HubCore
import Logging
import PostgresNIO

/// `NoteRepository` on PostgreSQL: the `note` row holds the current state and its search
/// vector, `note_change` the history, `note_tag` the tags.
///
/// Saves on several instances meet in the row: a version is recorded by an UPDATE that names the
/// version it follows, so of two instances recording the same version one waits for the other's
/// row lock, then finds the version taken and gets `versionConflict`, and its service rebuilds
/// and retries as it does on one instance.
public struct PostgresNoteRepository: NoteRepository {
    let client: PostgresPool
    let logger: Logger

    /// How much of the content a listing carries: enough for a preview line, not whole notes.
    static let excerptLength = 280

    /// How many of a search's matches are ranked at most (the newest ones); past it
    /// `Page.total` says "at least". As on SQLite: a word in most notes costs what a rarer one does.
    public static let rankingLimit = 1_000

    /// Search's weights for content, tags and title (PostgreSQL lists them D, C, B, A).
    static let rankWeights = "'{0.1, 0.1, 0.4, 1.0}'"

    /// What search highlights and quotes from: the part of a note its search vector indexes.
    static let indexedContent = "left(note.content, 262144)"

    static func columns(fullContent: Bool) -> String {
        """
        note.id, note.title, \(fullContent ? "note.content" : "left(note.content, \(excerptLength))") AS content, note.tags,
        note.owner_id, note.author, note.last_editor, note.shared, note.video_id, note.version, note.created_at,
        note.updated_at, note.deleted_at, note.home_node
        """
    }

    public func note(_ id: NoteID) async throws -> Note? {
        try await client.rows(
            "SELECT \(unescaped: Self.columns(fullContent: true)) FROM note WHERE id = \(id.rawValue)", logger: logger
        ).first.map(Self.note)
    }

    public func changes(of id: NoteID, through version: Int?) async throws -> [NoteChange] {
        try await Self.changes(
            client.rows(
                """
                SELECT note_id, node, clock, author, operations FROM note_change
                WHERE note_id = \(id.rawValue) AND version <= \(version ?? Int.max) ORDER BY version
                """, logger: logger))[id] ?? []
    }

    public func changes(of id: NoteID, after version: Int) async throws -> [NoteChange] {
        try await Self.changes(
            client.rows(
                """
                SELECT note_id, node, clock, author, operations FROM note_change
                WHERE note_id = \(id.rawValue) AND version > \(version) ORDER BY version
                """, logger: logger))[id] ?? []
    }

    public func vector(of id: NoteID, through version: Int) async throws -> VersionVector {
        let rows = try await client.rows(
            """
            SELECT note_id, node, MAX(clock) AS clock FROM note_change
            WHERE note_id = \(id.rawValue) AND version <= \(version) GROUP BY note_id, node
            """, logger: logger)
        return try Self.vectors(rows)[id] ?? VersionVector()
    }

    public func notes(_ ids: [NoteID]) async throws -> [NoteID: Note] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await client.rows(
            "SELECT \(unescaped: Self.columns(fullContent: true)) FROM note WHERE id = ANY(\(ids.map(\.rawValue)))", logger: logger)
        var notes: [NoteID: Note] = [:]
        for row in rows {
            let note = try Self.note(row)
            notes[note.id] = note
        }
        return notes
    }

    public func changes(of ids: [NoteID]) async throws -> [NoteID: [NoteChange]] {
        guard !ids.isEmpty else { return [:] }
        return try await Self.changes(
            client.rows(
                """
                SELECT note_id, node, clock, author, operations FROM note_change
                WHERE note_id = ANY(\(ids.map(\.rawValue))) ORDER BY note_id, version
                """, logger: logger))
    }

    public func vectors(of ids: [NoteID]) async throws -> [NoteID: VersionVector] {
        guard !ids.isEmpty else { return [:] }
        return try await Self.vectors(
            client.rows(
                """
                SELECT note_id, node, MAX(clock) AS clock FROM note_change
                WHERE note_id = ANY(\(ids.map(\.rawValue))) GROUP BY note_id, node
                """, logger: logger))
    }

    public func contains(_ stamp: ChangeStamp, in note: NoteID) async throws -> Bool {
        try await client.scalar(
            """
            SELECT EXISTS (
                SELECT 1 FROM note_change WHERE note_id = \(note.rawValue) AND node = \(stamp.node.rawValue)
                    AND clock = \(Int64(bitPattern: stamp.clock.rawValue)))
            """, as: Bool.self, logger: logger) ?? false
    }

    public func versions(of id: NoteID) async throws -> [NoteVersionSummary] {
        try await client.rows(
            """
            SELECT version, node, clock, author, summary, recorded_at FROM note_change
            WHERE note_id = \(id.rawValue) ORDER BY version DESC
            """, logger: logger
        ).map { row in
            NoteVersionSummary(
                version: try row.value("version"), author: try row.value("author"), stamp: try Self.stamp(row),
                summary: try row.value("summary"), recordedAt: try row.value("recorded_at"))
        }
    }

    public func record(_ change: NoteChange, resulting note: Note, at date: Date) async throws {
        try await record([([change], note)], at: date)
    }

    public func record(_ runs: [(changes: [NoteChange], note: Note)], at date: Date) async throws {
        let encoder = JSONEncoder()
        let encoded = try runs.filter { !$0.changes.isEmpty }.map { run in
            EncodedRun(changes: run.changes, operations: try run.changes.map { try encoder.encode($0.operations) }, note: run.note)
        }
        guard !encoded.isEmpty else { return }
        try await client.transaction(logger: logger) { connection in
            for run in encoded { try await Self.record(run, at: date, on: connection, logger: logger) }
        }
    }

    /// One note's run of changes with their operations already encoded (outside the transaction).
    struct EncodedRun: Sendable {
        var changes: [NoteChange]
        var operations: [Data]
        var note: Note
    }

    private static func record(_ run: EncodedRun, at date: Date, on connection: PostgresConnection, logger: Logger) async throws {
        let note = run.note
        let firstVersion = note.version - run.changes.count + 1
        let stored: [PostgresRandomAccessRow]
        if firstVersion == 1 {
            stored = try await connection.rows(
                """
                INSERT INTO note (
                    id, title, content, tags, owner_id, author, last_editor, shared, video_id, version, created_at, updated_at,
                    deleted_at, home_node)
                VALUES (
                    \(note.id.rawValue), \(note.title), \(note.content), \(note.tags), \(note.ownerID?.rawValue), \(note.author),
                    \(note.lastEditor), \(note.isShared), \(note.videoID?.rawValue), \(note.version), \(note.createdAt),
                    \(note.updatedAt), \(note.deletedAt), \(note.homeNode?.rawValue))
                ON CONFLICT (id) DO NOTHING
                RETURNING sync_digest, private_digest, published
                """, logger: logger)
        } else {
            // Names the version it follows: the row lock makes a second writer of the same
            // version wait, then find no row to update.
            stored = try await connection.rows(
                """
                UPDATE note SET title = \(note.title), content = \(note.content), tags = \(note.tags), last_editor = \(note.lastEditor),
                    shared = \(note.isShared), video_id = \(note.videoID?.rawValue), version = \(note.version),
                    updated_at = \(note.updatedAt), deleted_at = \(note.deletedAt)
                WHERE id = \(note.id.rawValue) AND version = \(firstVersion - 1)
                RETURNING sync_digest, private_digest, published
                """, logger: logger)
        }
        guard let row = stored.first else { throw NoteRepositoryError.versionConflict }
        var digests = SyncDigests(
            all: UInt64(bitPattern: try row.value("sync_digest")), unshared: UInt64(bitPattern: try row.value("private_digest")),
            published: try row.value("published"))
        for change in run.changes { digests.record(change, sharedNow: note.isShared) }
        try await connection.execute(
            """
            UPDATE note SET sync_digest = \(Int64(bitPattern: digests.all)), private_digest = \(Int64(bitPattern: digests.unshared)),
                published = \(digests.published)
            WHERE id = \(note.id.rawValue)
            """, logger: logger)

        // Eight parameters a change; a peer's batch may hold thousands.
        for start in stride(from: 0, to: run.changes.count, by: 4_000) {
            var statement = PostgresStatement()
            let values = (start..<min(start + 4_000, run.changes.count)).map { index in
                let change = run.changes[index]
                let columns = [
                    statement.bind(note.id.rawValue), statement.bind(firstVersion + index), statement.bind(change.stamp.node.rawValue),
                    statement.bind(Int64(bitPattern: change.stamp.clock.rawValue)), statement.bind(change.author),
                    statement.bind(change.summary), statement.bind(ByteBuffer(bytes: run.operations[index])), statement.bind(date),
                ]
                return "(" + columns.joined(separator: ", ") + ")"
            }
            try await connection.execute(
                statement.query(
                    "INSERT INTO note_change (note_id, version, node, clock, author, summary, operations, recorded_at) VALUES "
                        + values.joined(separator: ", ")), logger: logger)
        }

        let tagsChanged = run.changes.contains { $0.operations.contains { if case .tags = $0 { true } else { false } } }
        if firstVersion == 1 || tagsChanged {
            try await connection.execute("DELETE FROM note_tag WHERE note_id = \(note.id.rawValue)", logger: logger)
            try await connection.execute(
                """
                INSERT INTO note_tag (note_id, tag) SELECT \(note.id.rawValue), tag FROM unnest(\(note.tags)::text[]) AS tag
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    public func syncDigests(excludingDeletedBefore date: Date) async throws -> [NoteID: UInt64] {
        let rows = try await client.rows(
            """
            SELECT id, sync_digest, private_digest FROM note
            WHERE published AND (deleted_at IS NULL OR deleted_at >= \(date))
            """, logger: logger)
        var digests: [NoteID: UInt64] = [:]
        for row in rows {
            guard let id = NoteID(try row.value("id", as: String.self)) else { continue }
            let stored = SyncDigests(
                all: UInt64(bitPattern: try row.value("sync_digest")), unshared: UInt64(bitPattern: try row.value("private_digest")))
            digests[id] = stored.offered
        }
        return digests
    }

    /// The search vector is written with the row (a trigger), so nothing is ever queued.
    public func indexQueued(limit: Int, queuedBefore: Date?) async throws -> Int { 0 }

    /// The query's filters as SQL conditions, their values bound to `statement`.
    static func conditions(_ query: NoteQuery, into statement: inout PostgresStatement) -> [String] {
        var conditions = [query.deleted ? "note.deleted_at IS NOT NULL" : "note.deleted_at IS NULL"]
        if case .ownedOrShared(let user) = query.visibility {
            conditions.append("(note.owner_id = \(statement.bind(user.rawValue)) OR note.shared)")
        }
        if let home = query.home {
            conditions.append("(note.shared OR note.home_node IS NULL OR note.home_node = \(statement.bind(home.rawValue)))")
        }
        if let tag = query.tag {
            conditions.append("EXISTS (SELECT 1 FROM note_tag WHERE note_tag.note_id = note.id AND note_tag.tag = \(statement.bind(tag)))")
        }
        if let shared = query.shared { conditions.append("note.shared = \(statement.bind(shared))") }
        if let owner = query.owner { conditions.append("note.owner_id = \(statement.bind(owner.rawValue))") }
        if let video = query.video { conditions.append("note.video_id = \(statement.bind(video.rawValue))") }
        return conditions
    }

    public func list(_ query: NoteQuery) async throws -> Page<NoteListing> {
        var statement = PostgresStatement()
        var conditions = Self.conditions(query, into: &statement)
        let columns = Self.columns(fullContent: query.fullContent)
        let (offset, limit) = (query.offset, query.limit)

        guard let text = query.text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            let filter = conditions.joined(separator: " AND ")
            let total = try await client.scalar(statement.query("SELECT COUNT(*) FROM note WHERE \(filter)"), as: Int.self, logger: logger) ?? 0
            let page = "ORDER BY note.updated_at DESC, note.id LIMIT \(statement.bind(limit)) OFFSET \(statement.bind(offset))"
            let rows = try await client.rows(statement.query("SELECT \(columns) FROM note WHERE \(filter) \(page)"), logger: logger)
            return Page(items: try rows.map { NoteListing(note: try Self.note($0)) }, total: total, offset: offset, limit: limit)
        }
        guard let words = SearchText.prefixQuery(text) else { return Page(items: [], total: 0, offset: offset, limit: limit) }
        let search = "to_tsquery('hub_search', \(statement.bind(words)))"
        conditions.append("note.search @@ \(search)")
        let filter = conditions.joined(separator: " AND ")
        let (start, end) = (String(NoteHighlight.start), String(NoteHighlight.end))
        let titleOptions = statement.bind("StartSel=\(start), StopSel=\(end), HighlightAll=true")
        let snippetOptions = statement.bind("StartSel=\(start), StopSel=\(end), MaxWords=24, MinWords=12, MaxFragments=1, FragmentDelimiter=…")
        // The newest `rankingLimit` matches are found first (sorting numbers only), then only
        // they are ranked (counted alongside), then only the page's notes are highlighted:
        // ranking reads a note's search vector and headlines its text, which for every match of
        // a common word would cost more than the search.
        let sql = """
            WITH newest AS (
                SELECT note.seq FROM note WHERE \(filter) ORDER BY note.seq DESC LIMIT \(Self.rankingLimit)),
            matches AS (
                SELECT note.seq, note.updated_at, ts_rank(\(Self.rankWeights), note.search, \(search), 1) AS rank
                FROM newest JOIN note ON note.seq = newest.seq),
            page AS (
                SELECT seq, rank, (SELECT COUNT(*) FROM matches) AS total FROM matches
                ORDER BY rank DESC, updated_at DESC, seq DESC LIMIT \(statement.bind(limit)) OFFSET \(statement.bind(offset)))
            SELECT \(columns), page.total,
                ts_headline('hub_search', note.title, \(search), \(titleOptions)) AS title_highlight,
                ts_headline('hub_search', \(Self.indexedContent), \(search), \(snippetOptions)) AS snippet
            FROM page JOIN note ON note.seq = page.seq
            ORDER BY page.rank DESC, note.updated_at DESC, note.seq DESC
            """
        let rows = try await client.rows(statement.query(sql), logger: logger)
        let items = try rows.map { row in
            NoteListing(note: try Self.note(row), titleHighlight: try row.value("title_highlight"), snippet: try row.value("snippet"))
        }
        let total: Int
        if let first = rows.first {
            total = try first.value("total")
        } else {
            // A page past the last match: count the matches alone.
            var counting = PostgresStatement()
            var matching = Self.conditions(query, into: &counting)
            matching.append("note.search @@ to_tsquery('hub_search', \(counting.bind(words)))")
            let sql = "SELECT COUNT(*) FROM (SELECT 1 FROM note WHERE \(matching.joined(separator: " AND ")) LIMIT \(Self.rankingLimit)) AS matches"
            total = try await client.scalar(counting.query(sql), as: Int.self, logger: logger) ?? 0
        }
        return Page(items: items, total: total, offset: offset, limit: limit)
    }

    public func changed(since date: Date, after: NoteID?, limit: Int) async throws -> [Note] {
        try await client.rows(
            """
            SELECT \(unescaped: Self.columns(fullContent: true)) FROM note
            WHERE note.id > \(after?.rawValue ?? "") AND note.id IN (SELECT note_id FROM note_change WHERE recorded_at >= \(date))
            ORDER BY note.id LIMIT \(limit)
            """, logger: logger
        ).map(Self.note)
    }

    public func allIDs(includingDeleted: Bool) async throws -> [NoteID] {
        try await client.rows(
            "SELECT id FROM note \(unescaped: includingDeleted ? "" : "WHERE deleted_at IS NULL") ORDER BY created_at, id", logger: logger
        ).compactMap { NoteID(try $0.value("id", as: String.self)) }
    }

    public func purge(deletedBefore date: Date) async throws -> [NoteID] {
        // Their changes and tags go with them (ON DELETE CASCADE).
        try await client.rows("DELETE FROM note WHERE deleted_at < \(date) RETURNING id", logger: logger)
            .compactMap { NoteID(try $0.value("id", as: String.self)) }
    }

    // MARK: Rows

    static func note(_ row: PostgresRandomAccessRow) throws -> Note {
        Note(
            id: try NoteID(row.value("id", as: String.self)).orThrow(column: "note.id"), title: try row.value("title"),
            content: try row.value("content"), tags: try row.value("tags"),
            ownerID: try row.value("owner_id", as: String?.self).flatMap(UserID.init), author: try row.value("author"),
            lastEditor: try row.value("last_editor"), isShared: try row.value("shared"),
            videoID: try row.value("video_id", as: String?.self).flatMap(VideoID.init), version: try row.value("version"),
            createdAt: try row.value("created_at"), updatedAt: try row.value("updated_at"), deletedAt: try row.value("deleted_at"),
            homeNode: try row.value("home_node", as: String?.self).flatMap(NodeID.init))
    }

    static func stamp(_ row: PostgresRandomAccessRow) throws -> ChangeStamp {
        ChangeStamp(
            clock: HLCTimestamp(rawValue: UInt64(bitPattern: try row.value("clock", as: Int64.self))),
            node: try NodeID(row.value("node", as: String.self)).orThrow(column: "note_change.node"))
    }

    /// Changes from rows of (note_id, node, clock, author, operations), per note in row order.
    static func changes(_ rows: [PostgresRandomAccessRow]) throws -> [NoteID: [NoteChange]] {
        let decoder = JSONDecoder()
        var changes: [NoteID: [NoteChange]] = [:]
        for row in rows {
            let note = try NoteID(row.value("note_id", as: String.self)).orThrow(column: "note_change.note_id")
            let operations = try decoder.decode([NoteOperation].self, from: row.value("operations", as: Data.self))
            changes[note, default: []].append(
                NoteChange(note: note, stamp: try stamp(row), author: try row.value("author"), operations: operations))
        }
        return changes
    }

    /// Vectors from rows of (note_id, node, clock): the latest clock per node.
    static func vectors(_ rows: [PostgresRandomAccessRow]) throws -> [NoteID: VersionVector] {
        var vectors: [NoteID: VersionVector] = [:]
        for row in rows {
            let note = try NoteID(row.value("note_id", as: String.self)).orThrow(column: "note_change.note_id")
            vectors[note, default: VersionVector()].record(try stamp(row))
        }
        return vectors
    }
}
