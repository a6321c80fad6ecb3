import Foundation
import GRDB
import HubCore

/// The sync log in the `syncLog` table, newest entries read first.
public struct SQLiteSyncLogRepository: SyncLogRepository {
    let writer: any DatabaseWriter

    public func append(_ entries: [SyncLogEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await writer.write { db in
            for entry in entries {
                try db.execute(
                    sql: """
                        INSERT INTO syncLog (at, event, peer, noteID, version, node, author, notes, changes, summary)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        entry.at, entry.event.rawValue, entry.peer, entry.note?.rawValue, entry.version, entry.node?.rawValue,
                        entry.author, entry.notes, entry.changes, entry.summary,
                    ])
            }
        }
    }

    public func recent(limit: Int, before: Int64?) async throws -> [SyncLogEntry] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM syncLog WHERE id < ? ORDER BY id DESC LIMIT ?", arguments: [before ?? Int64.max, limit]
            ).map { row in
                SyncLogEntry(
                    id: row["id"], at: row["at"], event: SyncLogEntry.Event(rawValue: row["event"]) ?? .local, peer: row["peer"],
                    note: (row["noteID"] as String?).flatMap(NoteID.init), version: row["version"],
                    node: (row["node"] as String?).flatMap(NodeID.init), author: row["author"], notes: row["notes"],
                    changes: row["changes"], summary: row["summary"])
            }
        }
    }

    public func trim(keeping count: Int) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "DELETE FROM syncLog WHERE id <= (SELECT id FROM syncLog ORDER BY id DESC LIMIT 1 OFFSET ?)", arguments: [count])
        }
    }
}
