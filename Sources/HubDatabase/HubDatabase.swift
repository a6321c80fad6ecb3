import Foundation
import GRDB
import HubCore

/// The hub's metadata database: SQLite through GRDB, in WAL mode so streams and listings read
/// while uploads write. Owns the schema; the repositories in this module are views onto it.
public struct HubDatabase: Sendable {
    public let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path` and migrates it. With `metrics`,
    /// every statement's duration is recorded, as SQLite measures it.
    public static func open(path: String, metrics: DatabaseMetrics? = nil) throws -> HubDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        // Deleting a user cascades to their tokens.
        configuration.foreignKeysEnabled = true
        // Every connection of the pool (one writer, several readers taking turns) keeps its
        // own page cache; reading the file through a memory map lets them share the kernel's
        // instead of each paying a pread per page, which searches over a large notepad feel.
        // SQLite's profile reports each statement once it has finished, failed ones too; the
        // failures themselves reach the hub as the errors of the calls that ran them.
        let profile = metrics.map(StatementProfile.init)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA cache_size = -8000")
            profile?.install(on: db)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try HubDatabase(writer: pool)
    }

    /// An in-memory database, for tests.
    public static func inMemory() throws -> HubDatabase {
        try HubDatabase(writer: DatabaseQueue())
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    public var videos: SQLiteVideoRepository { SQLiteVideoRepository(writer: writer) }
    public var uploads: SQLiteUploadRepository { SQLiteUploadRepository(writer: writer) }
    public var accounts: SQLiteAccountRepository { SQLiteAccountRepository(writer: writer) }
    public var settings: SQLiteHubSettings { SQLiteHubSettings(writer: writer) }
    public var notes: SQLiteNoteRepository { SQLiteNoteRepository(writer: writer) }
    public var noteAnalytics: SQLiteNoteAnalyticsRepository { SQLiteNoteAnalyticsRepository(writer: writer) }
    public var syncLog: SQLiteSyncLogRepository { SQLiteSyncLogRepository(writer: writer) }
    public var peers: SQLitePeerRepository { SQLitePeerRepository(writer: writer) }
    public var catalogue: SQLiteCatalogueRepository { SQLiteCatalogueRepository(writer: writer) }
    public var mediaJobs: SQLiteMediaJobQueue { SQLiteMediaJobQueue(writer: writer) }
    public var traffic: SQLiteTrafficRepository { SQLiteTrafficRepository(writer: writer) }

    /// Every repository the hub uses, on this database; videos behind a short-lived cache, since
    /// every stream request looks its video up.
    public var repositories: Repositories {
        Repositories(
            videos: CachedVideoRepository(videos), uploads: uploads, accounts: accounts, settings: settings, notes: notes,
            noteAnalytics: noteAnalytics, syncLog: syncLog, peers: peers, catalogue: catalogue, mediaJobs: mediaJobs,
            traffic: traffic)
    }


    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: videos and uploads") { db in
            try db.create(table: "video") { t in
                t.primaryKey("id", .text)
                t.column("title", .text).notNull()
                t.column("description", .text).notNull()
                t.column("tags", .text).notNull()
                t.column("originalFilename", .text).notNull()
                t.column("contentType", .text).notNull()
                t.column("sizeBytes", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("storageKey", .text).notNull()
                t.column("thumbnailKey", .text)
                t.column("durationSeconds", .double)
                t.column("width", .integer)
                t.column("height", .integer)
                t.column("videoCodec", .text)
                t.column("audioCodec", .text)
                t.column("createdAt", .datetime).notNull().indexed()
                t.column("updatedAt", .datetime).notNull()
            }
            // Full-text index over what `?q=` searches, kept in step with `video` by triggers.
            try db.create(virtualTable: "videoSearch", using: FTS5()) { t in
                t.synchronize(withTable: "video")
                t.tokenizer = .unicode61()
                t.column("title")
                t.column("description")
                t.column("tags")
            }
            try db.create(table: "upload") { t in
                t.primaryKey("id", .text)
                t.column("length", .integer).notNull()
                t.column("offset", .integer).notNull()
                t.column("metadata", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("expiresAt", .datetime).notNull().indexed()
                t.column("videoID", .text)
            }
        }
        migrator.registerMigration("v2: accounts and ownership") { db in
            try db.create(table: "user") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull().unique()
                t.column("role", .text).notNull()
                t.column("passwordHash", .text).notNull()
                t.column("isDisabled", .boolean).notNull().defaults(to: false)
                t.column("sessionGeneration", .integer).notNull().defaults(to: 0)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "apiToken") { t in
                t.primaryKey("id", .text)
                t.column("userID", .text).notNull().indexed().references("user", onDelete: .cascade)
                t.column("label", .text).notNull()
                t.column("secretHash", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
                t.column("lastUsedAt", .datetime)
            }
            try db.create(table: "invitation") { t in
                t.primaryKey("codeHash", .text)
                t.column("role", .text).notNull()
                t.column("createdBy", .text).notNull()
                t.column("expiresAt", .datetime).notNull()
            }
            try db.create(table: "hubSetting") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
            // Videos from before accounts have no owner: only admins see them until one is
            // given (the first admin adopts them).
            try db.alter(table: "video") { t in
                t.add(column: "ownerID", .text).indexed()
                t.add(column: "shared", .boolean).notNull().defaults(to: false)
            }
            try db.alter(table: "upload") { t in
                t.add(column: "ownerID", .text)
            }
        }
        migrator.registerMigration("v3: community notepad") { db in
            // The current state of every note, derived from its changes; what lists and search read.
            try db.create(table: "note") { t in
                t.primaryKey("id", .text)
                t.column("title", .text).notNull()
                t.column("content", .text).notNull()
                t.column("tags", .text).notNull()
                t.column("ownerID", .text).indexed()
                t.column("author", .text).notNull()
                t.column("lastEditor", .text).notNull()
                t.column("shared", .boolean).notNull()
                t.column("videoID", .text).indexed()
                t.column("version", .integer).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull().indexed()
                t.column("deletedAt", .datetime).indexed()
            }
            // The search index keeps its own copy of what it indexes (no triggers), so saving a
            // note never waits for re-tokenising it: the save queues the note in
            // `noteSearchQueue` in its own transaction, and the index catches up in the
            // background and before every search (`SQLiteNoteRepository.indexQueued`).
            // Diacritics are folded ("cafe" finds "café"); prefix indexes up to five characters
            // make the word-prefix queries search sends cheap (a one-letter prefix would
            // otherwise merge the lists of every word with that letter).
            try db.execute(sql: """
                CREATE VIRTUAL TABLE noteSearch USING fts5(
                    title, content, tags, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3 4 5')
                """)
            // Title matches count most, then tags, then content; `ORDER BY rank` lets FTS5 rank
            // internally instead of calling bm25() per row from SQL.
            try db.execute(sql: "INSERT INTO noteSearch (noteSearch, rank) VALUES ('rank', 'bm25(10.0, 1.0, 4.0)')")
            // `queuedAt` moves with every save, so a note being edited is indexed once it goes
            // quiet, not after each keystroke's autosave.
            try db.create(table: "noteSearchQueue") { t in
                t.primaryKey("noteRowID", .integer)
                t.column("queuedAt", .datetime).notNull()
            }
            // Every change applied here, in order: version n of a note is its first n changes.
            // (node, clock) identifies a change on every hub, so a repeat from a peer or an
            // import is recognised.
            try db.create(table: "noteChange") { t in
                t.column("noteID", .text).notNull().references("note", onDelete: .cascade)
                t.column("version", .integer).notNull()
                t.column("node", .text).notNull()
                t.column("clock", .integer).notNull()
                t.column("author", .text).notNull()
                t.column("summary", .text).notNull()
                t.column("operations", .blob).notNull()
                t.column("recordedAt", .datetime).notNull().indexed()
                t.primaryKey(["noteID", "version"])
                t.uniqueKey(["noteID", "node", "clock"])
            }
            // Tags one per row, for exact tag filters and the top-tags figure.
            try db.create(table: "noteTag") { t in
                t.column("noteID", .text).notNull().references("note", onDelete: .cascade)
                t.column("tag", .text).notNull().indexed()
                t.primaryKey(["noteID", "tag"])
            }
            try db.create(table: "noteEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("kind", .text).notNull()
                t.column("noteID", .text).indexed()
                t.column("userID", .text)
                t.column("query", .text)
                t.column("results", .integer)
                t.column("at", .datetime).notNull().indexed()
            }
        }
        migrator.registerMigration("v4: peer network") { db in
            // The hub a note was created on (its sharing and deletion are decided there), whether
            // it was ever shared (then peers may hold it and it is part of anti-entropy), and its
            // sync digests: the XOR of its changes' stamp digests, compared with peers' to find
            // the notes that differ, and the part of it from changes made since the note was
            // unshared, which peers never get (so the digest offered leaves them out).
            try db.alter(table: "note") { t in
                t.add(column: "homeNode", .text)
                t.add(column: "published", .boolean).notNull().defaults(to: false)
                t.add(column: "syncDigest", .integer).notNull().defaults(to: 0)
                t.add(column: "privateDigest", .integer).notNull().defaults(to: 0)
            }
            try db.execute(sql: "UPDATE note SET homeNode = (SELECT node FROM noteChange WHERE noteID = note.id AND version = 1)")
            var states: [String: SyncDigests] = [:]
            let shared = try Set(String.fetchAll(db, sql: "SELECT id FROM note WHERE shared"))
            let changes = try Row.fetchCursor(db, sql: "SELECT noteID, node, clock, operations FROM noteChange ORDER BY noteID, version")
            let decoder = JSONDecoder()
            while let row = try changes.next() {
                guard let node = NodeID(row["node"] as String) else { continue }
                let id: String = row["noteID"]
                let change = NoteChange(
                    note: NoteID(id) ?? NoteID(), stamp: ChangeStamp(clock: HLCTimestamp(rawValue: UInt64(bitPattern: row["clock"])), node: node),
                    author: "", operations: (try? decoder.decode([NoteOperation].self, from: row["operations"] as Data)) ?? [])
                states[id, default: SyncDigests()].record(change, sharedNow: shared.contains(id))
            }
            for (id, state) in states {
                try db.execute(
                    sql: "UPDATE note SET syncDigest = ?, privateDigest = ?, published = ? WHERE id = ?",
                    arguments: [Int64(bitPattern: state.all), Int64(bitPattern: state.unshared), state.published, id])
            }
            try db.create(index: "note_published", on: "note", columns: ["published"])
            try db.create(table: "syncLog") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull()
                t.column("event", .text).notNull()
                t.column("peer", .text)
                t.column("noteID", .text)
                t.column("version", .integer)
                t.column("node", .text)
                t.column("author", .text)
                t.column("notes", .integer)
                t.column("changes", .integer)
                t.column("summary", .text).notNull()
            }
            // Peers added by hand (API, `streamhub peers add`): kept across restarts, unlike
            // those discovered, which are found again.
            try db.create(table: "peer") { t in
                t.primaryKey("address", .text)
                t.column("name", .text).notNull()
                t.column("addedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v5: upload bytes in the object store") { db in
            try db.alter(table: "upload") { t in
                t.add(column: "multipartUploadID", .text)
            }
        }
        migrator.registerMigration("v6: shared video catalogue") { db in
            // Each entry whole as JSON (`CatalogueEntry`), with what listing, search and
            // anti-entropy read beside it; tombstones (unshared, deleted) stay, not listed.
            try db.create(table: "catalogueEntry") { t in
                t.primaryKey("videoID", .text)
                t.column("origin", .text).notNull()
                t.column("listed", .boolean).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("digest", .integer).notNull()
                t.column("searchText", .text).notNull()
                t.column("entry", .text).notNull()
            }
            try db.create(index: "catalogueEntry_listed", on: "catalogueEntry", columns: ["listed", "createdAt"])
        }
        migrator.registerMigration("v7: processing queue") { db in
            // Videos from before the queue were processed during their upload: ready.
            try db.alter(table: "video") { t in
                t.add(column: "status", .text).notNull().defaults(to: VideoStatus.ready.rawValue)
                t.add(column: "progress", .double)
                t.add(column: "failure", .text)
                // `[Rendition]` as JSON: a handful per video, always read with it.
                t.add(column: "renditions", .text).notNull().defaults(to: "[]")
                t.add(column: "previews", .text)
                t.add(column: "captions", .text).notNull().defaults(to: "[]")
            }
            // One row per job waiting, running or failed; a finished job's row is deleted. A
            // claim is a lease (`claimedUntil`), so a job whose worker died is taken again.
            try db.create(table: "mediaJob") { t in
                t.column("videoID", .text).notNull().references("video", onDelete: .cascade)
                t.column("kind", .text).notNull()
                t.column("state", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("runAfter", .datetime).notNull()
                t.column("claimedBy", .text)
                t.column("claimedUntil", .datetime)
                t.column("lastError", .text)
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["videoID", "kind"])
            }
            try db.create(index: "mediaJob_due", on: "mediaJob", columns: ["state", "runAfter"])
        }
        migrator.registerMigration("v8: caption search") { db in
            // One row per cue of every attached captions track, for search only (the track
            // itself is a WebVTT object); a full-text index over their words beside it.
            try db.create(table: "captionCue") { t in
                t.column("videoID", .text).notNull().references("video", onDelete: .cascade)
                t.column("language", .text).notNull()
                // The cue's place in its file: cues may share a start.
                t.column("position", .integer).notNull()
                t.column("startMilliseconds", .integer).notNull()
                t.column("text", .text).notNull()
                t.primaryKey(["videoID", "language", "position"])
            }
            try db.create(index: "captionCue_video", on: "captionCue", columns: ["videoID", "language", "startMilliseconds"])
            try db.create(virtualTable: "captionSearch", using: FTS5()) { t in
                t.synchronize(withTable: "captionCue")
                t.tokenizer = .unicode61()
                t.column("text")
            }
        }
        migrator.registerMigration("v9: traffic by day") { db in
            // Bytes in and out per UTC day (`yyyy-MM-dd`), for the storage report.
            try db.create(table: "trafficDay") { t in
                t.primaryKey("day", .text)
                t.column("uploadedBytes", .integer).notNull()
                t.column("streamedBytes", .integer).notNull()
                t.column("peerSentBytes", .integer).notNull()
            }
        }
        return migrator
    }
}
