import Crypto
import Foundation
import GRDB
import HubCore
import HubPostgres
import PostgresNIO

/// One value on its way from SQLite to PostgreSQL, typed as the PostgreSQL column is, so the same
/// value read back from either side hashes the same.
enum Cell: Sendable {
    enum Kind: Sendable { case text, integer, double, bool, date, bytes, textArray, json }

    case text(String?)
    case integer(Int64?)
    case double(Double?)
    case bool(Bool?)
    /// Milliseconds since 1970: what SQLite keeps of a date, so a round trip through
    /// PostgreSQL's microseconds compares equal.
    case date(Int64?)
    case bytes(Data?)
    case textArray([String]?)
    /// JSON text, compared as the object it holds (PostgreSQL's `jsonb` reorders keys).
    case json([String: String]?)

    func bind(into statement: inout PostgresStatement) -> String {
        switch self {
        case .text(let value): statement.bind(value)
        case .integer(let value): statement.bind(value)
        case .double(let value): statement.bind(value)
        case .bool(let value): statement.bind(value)
        case .date(let value): statement.bind(value.map { Date(timeIntervalSince1970: Double($0) / 1_000) })
        case .bytes(let value): statement.bind(value.map { ByteBuffer(bytes: $0) })
        case .textArray(let value): statement.bind(value)
        case .json(let value):
            statement.bind(value.map { String(decoding: (try? JSONEncoder().encode($0)) ?? Data("{}".utf8), as: UTF8.self) }) + "::jsonb"
        }
    }

    /// Reads a PostgreSQL value as `kind`.
    init(_ cell: PostgresCell, as kind: Kind) throws {
        switch kind {
        case .text: self = .text(try cell.decode(String?.self))
        case .integer: self = .integer(try cell.decode(Int64?.self))
        case .double: self = .double(try cell.decode(Double?.self))
        case .bool: self = .bool(try cell.decode(Bool?.self))
        case .date: self = .date(try cell.decode(Date?.self).map(Self.milliseconds))
        case .bytes: self = .bytes(try cell.decode(ByteBuffer?.self).map { Data($0.readableBytesView) })
        case .textArray: self = .textArray(try cell.decode([String]?.self))
        case .json: self = .json(try cell.decode(String?.self).flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) })
        }
    }

    /// Dates beyond what 64 bits of milliseconds hold (none a hub writes) compare as the limit.
    static func milliseconds(_ date: Date) -> Int64 {
        let milliseconds = (date.timeIntervalSince1970 * 1_000).rounded()
        guard milliseconds.isFinite, let exact = Int64(exactly: min(max(milliseconds, -9.2e18), 9.2e18)) else { return 0 }
        return exact
    }

    func hash(into hash: inout SHA256) {
        func add(_ tag: String, _ text: String?) {
            hash.update(data: Data((text.map { tag + ":" + String($0.utf8.count) + ":" + $0 } ?? tag + ":null").utf8))
        }
        switch self {
        case .text(let value): add("t", value)
        case .integer(let value): add("i", value.map(String.init))
        case .double(let value): add("d", value.map { String($0) })
        case .bool(let value): add("b", value.map { $0 ? "1" : "0" })
        case .date(let value): add("m", value.map(String.init))
        case .bytes(let value): add("x", value.map { $0.base64EncodedString() })
        case .textArray(let value): add("a", value.map { $0.map { String($0.utf8.count) + ":" + $0 }.joined(separator: ",") })
        case .json(let value): add("j", value.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n") })
        }
    }
}

/// A table of the hub's SQLite schema and where it goes in PostgreSQL's (`PostgresSchema`).
struct MigratedTable: Sendable {
    var source: String
    var target: String
    /// The unique column rows are copied in the order of, a batch at a time.
    var sourceKey: String
    /// The same order on both sides, for the comparison.
    var sourceOrder: String
    var targetOrder: String
    /// Rows of the target that are not copies (the migration's own marker).
    var targetFilter = "true"
    /// Source column → (target column, kind), in order.
    var columns: [(source: String, target: String, kind: Cell.Kind)]
    /// An `id` generated on insert in PostgreSQL, copied as it is.
    var keepsIdentity = false

    init(
        source: String, target: String, sourceKey: String, sourceOrder: String, targetOrder: String, targetFilter: String = "true",
        columns: [(source: String, target: String, kind: Cell.Kind)], keepsIdentity: Bool = false
    ) {
        (self.source, self.target, self.sourceKey, self.sourceOrder, self.targetOrder) = (source, target, sourceKey, sourceOrder, targetOrder)
        (self.targetFilter, self.columns, self.keepsIdentity) = (targetFilter, columns, keepsIdentity)
    }

    var sourceColumns: String { columns.map { "\"\($0.source)\"" }.joined(separator: ", ") }
    var targetColumns: [String] { columns.map { $0.target == "offset" ? "\"offset\"" : $0.target } }
    var kinds: [Cell.Kind] { columns.map(\.kind) }

    /// A SQLite row (selected with `sourceColumns`) as cells.
    func read(_ row: Row) throws -> [Cell] {
        try columns.map { column in
            let value: DatabaseValue = row[column.source]
            switch column.kind {
            case .text: return .text(String.fromDatabaseValue(value))
            case .integer: return .integer(Int64.fromDatabaseValue(value))
            case .double: return .double(Double.fromDatabaseValue(value))
            case .bool: return .bool(Bool.fromDatabaseValue(value))
            case .date: return .date(Date.fromDatabaseValue(value).map(Cell.milliseconds))
            case .bytes: return .bytes(Data.fromDatabaseValue(value))
            case .textArray:
                // Tags are a JSON array in SQLite.
                guard let text = String.fromDatabaseValue(value) else { return .textArray(nil) }
                return .textArray(try JSONDecoder().decode([String].self, from: Data(text.utf8)))
            case .json:
                guard let text = String.fromDatabaseValue(value) else { return .json(nil) }
                return .json(try JSONDecoder().decode([String: String].self, from: Data(text.utf8)))
            }
        }
    }

    /// Every table, parents before the tables that reference them.
    static let all: [MigratedTable] = [
        MigratedTable(
            source: "hubSetting", target: "hub_setting", sourceKey: "name", sourceOrder: "name", targetOrder: "name COLLATE \"C\"",
            targetFilter: "name NOT IN ('\(SQLiteToPostgres.marker)', '\(NodeID.settingName)')", columns: [("name", "name", .text), ("value", "value", .text)]),
        MigratedTable(source: "user", target: "hub_user", sourceKey: "id", sourceOrder: "id", targetOrder: "id COLLATE \"C\"", columns: [
            ("id", "id", .text), ("name", "name", .text), ("role", "role", .text), ("passwordHash", "password_hash", .text),
            ("isDisabled", "is_disabled", .bool), ("sessionGeneration", "session_generation", .integer), ("createdAt", "created_at", .date),
        ]),
        MigratedTable(source: "apiToken", target: "api_token", sourceKey: "id", sourceOrder: "id", targetOrder: "id COLLATE \"C\"", columns: [
            ("id", "id", .text), ("userID", "user_id", .text), ("label", "label", .text), ("secretHash", "secret_hash", .text),
            ("createdAt", "created_at", .date), ("lastUsedAt", "last_used_at", .date),
        ]),
        MigratedTable(source: "invitation", target: "invitation", sourceKey: "codeHash", sourceOrder: "codeHash", targetOrder: "code_hash COLLATE \"C\"", columns: [
            ("codeHash", "code_hash", .text), ("role", "role", .text), ("createdBy", "created_by", .text), ("expiresAt", "expires_at", .date),
        ]),
        MigratedTable(source: "video", target: "video", sourceKey: "id", sourceOrder: "id", targetOrder: "id COLLATE \"C\"", columns: [
            ("id", "id", .text), ("title", "title", .text), ("description", "description", .text), ("tags", "tags", .textArray),
            ("originalFilename", "original_filename", .text), ("contentType", "content_type", .text), ("sizeBytes", "size_bytes", .integer),
            ("sha256", "sha256", .text), ("storageKey", "storage_key", .text), ("thumbnailKey", "thumbnail_key", .text),
            ("durationSeconds", "duration_seconds", .double), ("width", "width", .integer), ("height", "height", .integer),
            ("videoCodec", "video_codec", .text), ("audioCodec", "audio_codec", .text), ("createdAt", "created_at", .date),
            ("updatedAt", "updated_at", .date), ("ownerID", "owner_id", .text), ("shared", "shared", .bool),
            ("status", "status", .text), ("progress", "progress", .double), ("failure", "failure", .text),
            ("renditions", "renditions", .text), ("previews", "previews", .text), ("captions", "captions", .text),
        ]),
        MigratedTable(
            source: "captionCue", target: "caption_cue", sourceKey: "rowid", sourceOrder: "videoID, language, position",
            targetOrder: "video_id COLLATE \"C\", language COLLATE \"C\", position",
            columns: [
                ("videoID", "video_id", .text), ("language", "language", .text), ("position", "position", .integer),
                ("startMilliseconds", "start_milliseconds", .integer),
                ("text", "text", .text),
            ]),
        MigratedTable(
            source: "mediaJob", target: "media_job", sourceKey: "rowid", sourceOrder: "videoID, kind", targetOrder: "video_id COLLATE \"C\", kind COLLATE \"C\"",
            columns: [
                ("videoID", "video_id", .text), ("kind", "kind", .text), ("state", "state", .text), ("attempts", "attempts", .integer),
                ("runAfter", "run_after", .date), ("claimedBy", "claimed_by", .text), ("claimedUntil", "claimed_until", .date),
                ("lastError", "last_error", .text), ("createdAt", "created_at", .date),
            ]),
        MigratedTable(source: "upload", target: "upload", sourceKey: "id", sourceOrder: "id", targetOrder: "id COLLATE \"C\"", columns: [
            ("id", "id", .text), ("length", "length", .integer), ("offset", "offset", .integer), ("metadata", "metadata", .json),
            ("createdAt", "created_at", .date), ("expiresAt", "expires_at", .date), ("videoID", "video_id", .text), ("ownerID", "owner_id", .text),
            ("multipartUploadID", "multipart_upload_id", .text),
        ]),
        // In creation order (rowid), so PostgreSQL's `seq` orders notes as SQLite's rowid did.
        MigratedTable(source: "note", target: "note", sourceKey: "rowid", sourceOrder: "rowid", targetOrder: "seq", columns: [
            ("id", "id", .text), ("title", "title", .text), ("content", "content", .text), ("tags", "tags", .textArray),
            ("ownerID", "owner_id", .text), ("author", "author", .text), ("lastEditor", "last_editor", .text), ("shared", "shared", .bool),
            ("videoID", "video_id", .text), ("version", "version", .integer), ("createdAt", "created_at", .date),
            ("updatedAt", "updated_at", .date), ("deletedAt", "deleted_at", .date), ("homeNode", "home_node", .text),
            ("published", "published", .bool), ("syncDigest", "sync_digest", .integer), ("privateDigest", "private_digest", .integer),
        ]),
        MigratedTable(source: "noteChange", target: "note_change", sourceKey: "rowid", sourceOrder: "noteID, version", targetOrder: "note_id, version", columns: [
            ("noteID", "note_id", .text), ("version", "version", .integer), ("node", "node", .text), ("clock", "clock", .integer),
            ("author", "author", .text), ("summary", "summary", .text), ("operations", "operations", .bytes),
            ("recordedAt", "recorded_at", .date),
        ]),
        MigratedTable(source: "noteTag", target: "note_tag", sourceKey: "rowid", sourceOrder: "noteID, tag", targetOrder: "note_id, tag COLLATE \"C\"", columns: [
            ("noteID", "note_id", .text), ("tag", "tag", .text),
        ]),
        MigratedTable(source: "noteEvent", target: "note_event", sourceKey: "id", sourceOrder: "id", targetOrder: "id", columns: [
            ("id", "id", .integer), ("kind", "kind", .text), ("noteID", "note_id", .text), ("userID", "user_id", .text),
            ("query", "query", .text), ("results", "results", .integer), ("at", "at", .date),
        ], keepsIdentity: true),
        MigratedTable(source: "syncLog", target: "sync_log", sourceKey: "id", sourceOrder: "id", targetOrder: "id", columns: [
            ("id", "id", .integer), ("at", "at", .date), ("event", "event", .text), ("peer", "peer", .text), ("noteID", "note_id", .text),
            ("version", "version", .integer), ("node", "node", .text), ("author", "author", .text), ("notes", "notes", .integer),
            ("changes", "changes", .integer), ("summary", "summary", .text),
        ], keepsIdentity: true),
        MigratedTable(source: "peer", target: "peer", sourceKey: "address", sourceOrder: "address", targetOrder: "address COLLATE \"C\"", columns: [
            ("address", "address", .text), ("name", "name", .text), ("addedAt", "added_at", .date),
        ]),
        MigratedTable(
            source: "catalogueEntry", target: "catalogue_entry", sourceKey: "videoID", sourceOrder: "videoID", targetOrder: "video_id COLLATE \"C\"",
            columns: [
                ("videoID", "video_id", .text), ("origin", "origin", .text), ("listed", "listed", .bool), ("createdAt", "created_at", .date),
                ("digest", "digest", .integer), ("searchText", "search_text", .text), ("entry", "entry", .text),
            ]),
        MigratedTable(source: "trafficDay", target: "traffic_day", sourceKey: "day", sourceOrder: "day", targetOrder: "day COLLATE \"C\"", columns: [
            ("day", "day", .text), ("uploadedBytes", "uploaded_bytes", .integer), ("streamedBytes", "streamed_bytes", .integer),
            ("peerSentBytes", "peer_sent_bytes", .integer),
        ]),
    ]
}
