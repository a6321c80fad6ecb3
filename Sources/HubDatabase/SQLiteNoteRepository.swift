import Foundation
import GRDB
import HubCore

/// `NoteRepository` on the hub's SQLite database: the `note` row holds the current state,
/// `noteChange` the history, `noteTag` the tags, and `noteSearch` (FTS5) the search index, which
/// saves only queue for (`noteSearchQueue`) so a save never waits for re-tokenising a large note.
public struct SQLiteNoteRepository: NoteRepository {
    let writer: any DatabaseWriter

    /// How much of the content a listing carries: enough for a preview line, not whole notes.
    static let excerptLength = 280

    /// How many of a search's matches are counted and ranked at most (the newest ones); past
    /// it `Page.total` says "at least".
    public static let rankingLimit = 1_000

    public func note(_ id: NoteID) async throws -> Note? {
        try await writer.read { db in try NoteRow.fetchOne(db, key: id.rawValue)?.note }
    }

    public func changes(of id: NoteID, through version: Int?) async throws -> [NoteChange] {
        try await writer.read { db in
            try Self.changes(
                db, sql: "SELECT noteID, node, clock, author, operations FROM noteChange WHERE noteID = ? AND version <= ? ORDER BY version",
                arguments: [id.rawValue, version ?? Int.max]
            )[id] ?? []
        }
    }

    public func changes(of id: NoteID, after version: Int) async throws -> [NoteChange] {
        try await writer.read { db in
            try Self.changes(
                db, sql: "SELECT noteID, node, clock, author, operations FROM noteChange WHERE noteID = ? AND version > ? ORDER BY version",
                arguments: [id.rawValue, version]
            )[id] ?? []
        }
    }

    public func vector(of id: NoteID, through version: Int) async throws -> VersionVector {
        try await writer.read { db in
            var vector = VersionVector()
            let rows = try Row.fetchCursor(
                db, sql: "SELECT node, MAX(clock) AS clock FROM noteChange WHERE noteID = ? AND version <= ? GROUP BY node",
                arguments: [id.rawValue, version])
            while let row = try rows.next() {
                guard let node = NodeID(row["node"] as String) else { continue }
                vector.record(ChangeStamp(clock: HLCTimestamp(rawValue: UInt64(bitPattern: row["clock"] as Int64)), node: node))
            }
            return vector
        }
    }

    public func notes(_ ids: [NoteID]) async throws -> [NoteID: Note] {
        try await writer.read { db in
            var notes: [NoteID: Note] = [:]
            for chunk in ids.chunked(by: 500) {
                let rows = try NoteRow.fetchAll(
                    db, sql: "SELECT * FROM note WHERE id IN (\(Self.placeholders(chunk.count)))", arguments: StatementArguments(chunk.map(\.rawValue)))
                for row in rows { notes[row.note.id] = row.note }
            }
            return notes
        }
    }

    public func changes(of ids: [NoteID]) async throws -> [NoteID: [NoteChange]] {
        try await writer.read { db in
            var changes: [NoteID: [NoteChange]] = [:]
            for chunk in ids.chunked(by: 500) {
                try changes.merge(
                    Self.changes(
                        db,
                        sql: """
                            SELECT noteID, node, clock, author, operations FROM noteChange
                            WHERE noteID IN (\(Self.placeholders(chunk.count))) ORDER BY noteID, version
                            """,
                        arguments: StatementArguments(chunk.map(\.rawValue))), uniquingKeysWith: { $1 })
            }
            return changes
        }
    }

    public func vectors(of ids: [NoteID]) async throws -> [NoteID: VersionVector] {
        try await writer.read { db in
            var vectors: [NoteID: VersionVector] = [:]
            for chunk in ids.chunked(by: 500) {
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT noteID, node, MAX(clock) AS clock FROM noteChange
                        WHERE noteID IN (\(Self.placeholders(chunk.count))) GROUP BY noteID, node
                        """,
                    arguments: StatementArguments(chunk.map(\.rawValue)))
                while let row = try rows.next() {
                    guard let note = NoteID(row["noteID"] as String), let node = NodeID(row["node"]) else { continue }
                    vectors[note, default: VersionVector()].record(
                        ChangeStamp(clock: HLCTimestamp(rawValue: UInt64(bitPattern: row["clock"] as Int64)), node: node))
                }
            }
            return vectors
        }
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Changes from rows of (noteID, node, clock, author, operations), per note in row order.
    private static func changes(_ db: Database, sql: String, arguments: StatementArguments) throws -> [NoteID: [NoteChange]] {
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        let decoder = JSONDecoder()
        var changes: [NoteID: [NoteChange]] = [:]
        while let row = try rows.next() {
            guard let note = NoteID(row["noteID"] as String), let node = NodeID(row["node"]) else { continue }
            let operations = try decoder.decode([NoteOperation].self, from: row["operations"] as Data)
            changes[note, default: []].append(NoteChange(
                note: note, stamp: ChangeStamp(clock: HLCTimestamp(rawValue: UInt64(bitPattern: row["clock"] as Int64)), node: node),
                author: row["author"], operations: operations))
        }
        return changes
    }

    public func contains(_ stamp: ChangeStamp, in note: NoteID) async throws -> Bool {
        try await writer.read { db in
            try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM noteChange WHERE noteID = ? AND node = ? AND clock = ?)",
                arguments: [note.rawValue, stamp.node.rawValue, Int64(bitPattern: stamp.clock.rawValue)]) ?? false
        }
    }

    public func versions(of id: NoteID) async throws -> [NoteVersionSummary] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT version, node, clock, author, summary, recordedAt FROM noteChange WHERE noteID = ? ORDER BY version DESC",
                arguments: [id.rawValue]
            ).compactMap { row in
                guard let node = NodeID(row["node"]) else { return nil }
                return NoteVersionSummary(
                    version: row["version"], author: row["author"],
                    stamp: ChangeStamp(clock: HLCTimestamp(rawValue: UInt64(bitPattern: row["clock"] as Int64)), node: node),
                    summary: row["summary"], recordedAt: row["recordedAt"])
            }
        }
    }

    public func record(_ change: NoteChange, resulting note: Note, at date: Date) async throws {
        try await record([([change], note)], at: date)
    }

    public func record(_ runs: [(changes: [NoteChange], note: Note)], at date: Date) async throws {
        let encoder = JSONEncoder()
        let encoded = try runs.map { run in (run.changes, try run.changes.map { try encoder.encode($0.operations) }, run.note) }
        try await writer.write { db in
            for (changes, operations, note) in encoded where !changes.isEmpty {
                try Self.record(changes, operations: operations, resulting: note, at: date, in: db)
            }
        }
    }

    private static func record(_ changes: [NoteChange], operations: [Data], resulting note: Note, at date: Date, in db: Database) throws {
        let row = NoteRow(note)
        let firstVersion = note.version - changes.count + 1
        if firstVersion == 1 {
            guard try !row.exists(db) else { throw NoteRepositoryError.versionConflict }
            try row.insert(db)
        } else {
            try db.execute(
                sql: """
                    UPDATE note SET title = ?, content = ?, tags = ?, lastEditor = ?, shared = ?, videoID = ?, version = ?,
                        updatedAt = ?, deletedAt = ?
                    WHERE id = ? AND version = ?
                    """,
                arguments: [
                    row.title, row.content, row.tags, row.lastEditor, row.shared, row.videoID, row.version,
                    row.updatedAt, row.deletedAt, row.id, firstVersion - 1,
                ])
            guard db.changesCount == 1 else { throw NoteRepositoryError.versionConflict }
        }
        // Digests are XORed in Swift: SQLite has no XOR, and emulating it with | and & overflows
        // its signed integers into floating point.
        let stored = try Row.fetchOne(db, sql: "SELECT syncDigest, privateDigest, published FROM note WHERE id = ?", arguments: [row.id])
        var digests = SyncDigests(
            all: UInt64(bitPattern: stored?["syncDigest"] ?? 0), unshared: UInt64(bitPattern: stored?["privateDigest"] ?? 0),
            published: stored?["published"] ?? false)
        for change in changes { digests.record(change, sharedNow: note.isShared) }
        try db.execute(
            sql: "UPDATE note SET syncDigest = ?, privateDigest = ?, published = ? WHERE id = ?",
            arguments: [Int64(bitPattern: digests.all), Int64(bitPattern: digests.unshared), digests.published, row.id])
        for (offset, change) in changes.enumerated() {
            try db.execute(
                sql: """
                    INSERT INTO noteChange (noteID, version, node, clock, author, summary, operations, recordedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    row.id, firstVersion + offset, change.stamp.node.rawValue, Int64(bitPattern: change.stamp.clock.rawValue), change.author,
                    change.summary, operations[offset], date,
                ])
        }
        if firstVersion == 1 || changes.contains(where: { $0.operations.contains(where: Self.changesSearchableText) }) {
            try db.execute(
                sql: """
                    INSERT INTO noteSearchQueue (noteRowID, queuedAt) SELECT rowid, ? FROM note WHERE id = ?
                    ON CONFLICT (noteRowID) DO UPDATE SET queuedAt = excluded.queuedAt
                    """,
                arguments: [date, row.id])
        }
        if firstVersion == 1 || changes.contains(where: { $0.operations.contains { if case .tags = $0 { true } else { false } } }) {
            try db.execute(sql: "DELETE FROM noteTag WHERE noteID = ?", arguments: [row.id])
            for tag in Set(note.tags) {
                try db.execute(sql: "INSERT INTO noteTag (noteID, tag) VALUES (?, ?)", arguments: [row.id, tag])
            }
        }
    }

    public func syncDigests(excludingDeletedBefore date: Date) async throws -> [NoteID: UInt64] {
        try await writer.read { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, syncDigest, privateDigest FROM note WHERE published AND (deletedAt IS NULL OR deletedAt >= ?)",
                arguments: [date])
            var digests: [NoteID: UInt64] = [:]
            while let row = try rows.next() {
                guard let id = NoteID(row["id"] as String) else { continue }
                digests[id] = UInt64(bitPattern: row["syncDigest"]) ^ UInt64(bitPattern: row["privateDigest"])
            }
            return digests
        }
    }

    static func changesSearchableText(_ operation: NoteOperation) -> Bool {
        switch operation {
        case .text, .title, .tags: true
        case .shared, .deleted, .video: false
        }
    }

    /// Re-indexes up to `limit` queued notes (only those queued before `queuedBefore`, when
    /// given) in one transaction; returns how many. The index holds its own copy of the text,
    /// so a note's old entry is removed by rowid, without the old text.
    public func indexQueued(limit: Int, queuedBefore: Date?) async throws -> Int {
        try await writer.write { db in
            let rowIDs = try Int64.fetchAll(
                db, sql: "SELECT noteRowID FROM noteSearchQueue WHERE queuedAt < ? LIMIT ?",
                arguments: [queuedBefore ?? Date.distantFuture, limit])
            for rowID in rowIDs {
                try db.execute(sql: "DELETE FROM noteSearch WHERE rowid = ?", arguments: [rowID])
                try db.execute(
                    sql: "INSERT INTO noteSearch (rowid, title, content, tags) SELECT rowid, title, content, tags FROM note WHERE rowid = ?",
                    arguments: [rowID])
                try db.execute(sql: "DELETE FROM noteSearchQueue WHERE noteRowID = ?", arguments: [rowID])
            }
            return rowIDs.count
        }
    }

    public func list(_ query: NoteQuery) async throws -> Page<NoteListing> {
        var conditions = [query.deleted ? "note.deletedAt IS NOT NULL" : "note.deletedAt IS NULL"]
        var arguments: StatementArguments = []
        if case .ownedOrShared(let user) = query.visibility {
            conditions.append("(note.ownerID = ? OR note.shared = 1)")
            _ = arguments.append(contentsOf: [user.rawValue])
        }
        if let home = query.home {
            conditions.append("(note.shared = 1 OR note.homeNode IS NULL OR note.homeNode = ?)")
            _ = arguments.append(contentsOf: [home.rawValue])
        }
        if let tag = query.tag {
            conditions.append("EXISTS (SELECT 1 FROM noteTag WHERE noteTag.noteID = note.id AND noteTag.tag = ?)")
            _ = arguments.append(contentsOf: [tag])
        }
        if let shared = query.shared {
            conditions.append("note.shared = ?")
            _ = arguments.append(contentsOf: [shared])
        }
        if let owner = query.owner {
            conditions.append("note.ownerID = ?")
            _ = arguments.append(contentsOf: [owner.rawValue])
        }
        if let video = query.video {
            conditions.append("note.videoID = ?")
            _ = arguments.append(contentsOf: [video.rawValue])
        }
        let filter = conditions.joined(separator: " AND ")
        let columns = """
            note.id, note.title, \(query.fullContent ? "note.content" : "substr(note.content, 1, \(Self.excerptLength))") AS content,
            note.tags, note.ownerID, note.author,
            note.lastEditor, note.shared, note.videoID, note.version, note.createdAt, note.updatedAt, note.deletedAt, note.homeNode
            """
        let (offset, limit, filterArguments) = (query.offset, query.limit, arguments)
        guard let text = query.text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            let countSQL = "SELECT COUNT(*) FROM note WHERE \(filter)"
            let selectSQL = "SELECT \(columns) FROM note WHERE \(filter) ORDER BY note.updatedAt DESC, note.id LIMIT ? OFFSET ?"
            return try await writer.read { db in
                let total = try Int.fetchOne(db, sql: countSQL, arguments: filterArguments) ?? 0
                let rows = try Row.fetchAll(db, sql: selectSQL, arguments: filterArguments + [limit, offset])
                return Page(items: try rows.map { NoteListing(note: try NoteRow(row: $0).note) }, total: total, offset: offset, limit: limit)
            }
        }
        // Built from the query's words only: quotes, operators, column filters and SQL in the
        // text are searched for as words, never interpreted.
        guard let pattern = FTS5Pattern(matchingAllPrefixesIn: text) else {
            return Page(items: [], total: 0, offset: offset, limit: limit)
        }
        // Searches read what every save before them wrote (a read first: most searches find
        // the queue empty and should not wait for the write lock to learn it).
        let queued = try await writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM noteSearchQueue)") ?? false }
        if queued {
            while try await indexQueued(limit: 1_000, queuedBefore: nil) == 1_000 {}
        }
        let (start, end) = (String(NoteHighlight.start), String(NoteHighlight.end))
        // CROSS JOIN keeps the index as the outer loop: the planner would otherwise walk `note`
        // and probe the index once per note, which for a broad query costs minutes, not
        // milliseconds.
        let matches = "noteSearch CROSS JOIN note ON note.rowid = noteSearch.rowid WHERE noteSearch MATCH ? AND \(filter)"
        // Relevance ranking reads every match, so it is bounded: the matches are counted up to
        // `rankingLimit` (newest first, which FTS5 walks without sorting and stops early), and a
        // search matching more ranks only the newest `rankingLimit` of them, bounded by rowid,
        // which FTS5 applies inside its index. A word in most notes then costs what a rarer one
        // does, and finds the best of the recent notes that use it.
        let boundarySQL = "SELECT noteSearch.rowid FROM \(matches) ORDER BY noteSearch.rowid DESC LIMIT 1 OFFSET \(Self.rankingLimit - 1)"
        let countSQL = "SELECT COUNT(*) FROM \(matches) AND noteSearch.rowid >= ?"
        // Ranked first (FTS5's `rank`, configured in the schema), then highlighted: snippets
        // cost a pass over each note's text, so only the page's notes get one.
        let selectSQL = """
            WITH page AS (
                SELECT note.rowid AS noteRowID, noteSearch.rank AS rank, note.updatedAt AS updatedAt
                FROM \(matches) AND noteSearch.rowid >= ? ORDER BY rank, updatedAt DESC LIMIT ? OFFSET ?)
            SELECT \(columns), highlight(noteSearch, 0, '\(start)', '\(end)') AS titleHighlight,
                snippet(noteSearch, 1, '\(start)', '\(end)', '…', 24) AS snippet
            FROM page CROSS JOIN noteSearch ON noteSearch.rowid = page.noteRowID CROSS JOIN note ON note.rowid = page.noteRowID
            WHERE noteSearch MATCH ? ORDER BY page.rank, page.updatedAt DESC
            """
        let matchArguments: StatementArguments = [pattern] + filterArguments
        return try await writer.read { db in
            // Past the boundary there are `rankingLimit` matches by definition; short of it,
            // there are fewer and counting them is cheap.
            let found = try Int64.fetchOne(db, sql: boundarySQL, arguments: matchArguments)
            let total = try found == nil ? Int.fetchOne(db, sql: countSQL, arguments: matchArguments + [Int64.min]) ?? 0 : Self.rankingLimit
            let boundary = found ?? Int64.min
            let rows = try Row.fetchAll(db, sql: selectSQL, arguments: matchArguments + [boundary, limit, offset, pattern])
            let items = try rows.map { row in
                NoteListing(note: try NoteRow(row: row).note, titleHighlight: row["titleHighlight"], snippet: row["snippet"])
            }
            return Page(items: items, total: total, offset: offset, limit: limit)
        }
    }

    public func changed(since date: Date, after: NoteID?, limit: Int) async throws -> [Note] {
        try await writer.read { db in
            try NoteRow.fetchAll(
                db,
                sql: """
                    SELECT * FROM note WHERE id > ? AND id IN (SELECT noteID FROM noteChange WHERE recordedAt >= ?)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [after?.rawValue ?? "", date, limit]
            ).map(\.note)
        }
    }

    public func allIDs(includingDeleted: Bool) async throws -> [NoteID] {
        try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM note \(includingDeleted ? "" : "WHERE deletedAt IS NULL") ORDER BY createdAt")
                .compactMap(NoteID.init)
        }
    }

    public func purge(deletedBefore date: Date) async throws -> [NoteID] {
        try await writer.write { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM note WHERE deletedAt < ?", arguments: [date])
            try db.execute(sql: "DELETE FROM noteSearch WHERE rowid IN (SELECT rowid FROM note WHERE deletedAt < ?)", arguments: [date])
            try db.execute(sql: "DELETE FROM noteSearchQueue WHERE noteRowID IN (SELECT rowid FROM note WHERE deletedAt < ?)", arguments: [date])
            try db.execute(sql: "DELETE FROM note WHERE deletedAt < ?", arguments: [date])
            return ids.compactMap(NoteID.init)
        }
    }
}

/// The `note` table's row.
struct NoteRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "note"

    var id: String
    var title: String
    var content: String
    var tags: String
    var ownerID: String?
    var author: String
    var lastEditor: String
    var shared: Bool
    var videoID: String?
    var version: Int
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var homeNode: String?

    init(_ note: Note) {
        id = note.id.rawValue
        title = note.title
        content = note.content
        tags = JSONColumn.encode(note.tags)
        ownerID = note.ownerID?.rawValue
        author = note.author
        lastEditor = note.lastEditor
        shared = note.isShared
        videoID = note.videoID?.rawValue
        version = note.version
        createdAt = note.createdAt
        updatedAt = note.updatedAt
        deletedAt = note.deletedAt
        homeNode = note.homeNode?.rawValue
    }

    var note: Note {
        Note(
            id: NoteID(id) ?? NoteID(), title: title, content: content, tags: JSONColumn.decode([String].self, from: tags) ?? [],
            ownerID: ownerID.flatMap(UserID.init), author: author, lastEditor: lastEditor, isShared: shared,
            videoID: videoID.flatMap(VideoID.init), version: version, createdAt: createdAt, updatedAt: updatedAt, deletedAt: deletedAt,
            homeNode: homeNode.flatMap(NodeID.init))
    }
}

extension Array {
    /// The array in consecutive slices of at most `size` (SQLite bounds a statement's arguments).
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
