import Foundation
import HubCore
import Logging
import PostgresNIO

/// The sync log in the `sync_log` table, newest entries read first.
public struct PostgresSyncLogRepository: SyncLogRepository {
    let client: PostgresPool
    let logger: Logger

    public func append(_ entries: [SyncLogEntry]) async throws {
        // One statement per thousand entries (ten parameters each; PostgreSQL takes 65,535):
        // a peer exchange logs many entries at once.
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            try await insert(entries[start..<min(start + 1_000, entries.count)])
        }
    }

    private func insert(_ entries: ArraySlice<SyncLogEntry>) async throws {
        var statement = PostgresStatement()
        let values = entries.map { entry in
            let columns = [
                statement.bind(entry.at), statement.bind(entry.event.rawValue), statement.bind(entry.peer),
                statement.bind(entry.note?.rawValue), statement.bind(entry.version), statement.bind(entry.node?.rawValue),
                statement.bind(entry.author), statement.bind(entry.notes), statement.bind(entry.changes), statement.bind(entry.summary),
            ]
            return "(" + columns.joined(separator: ", ") + ")"
        }
        try await client.execute(
            statement.query(
                "INSERT INTO sync_log (at, event, peer, note_id, version, node, author, notes, changes, summary) VALUES "
                    + values.joined(separator: ", ")), logger: logger)
    }

    public func recent(limit: Int, before: Int64?) async throws -> [SyncLogEntry] {
        try await client.rows(
            "SELECT * FROM sync_log WHERE id < \(before ?? Int64.max) ORDER BY id DESC LIMIT \(limit)", logger: logger
        ).map { row in
            SyncLogEntry(
                id: try row.value("id"), at: try row.value("at"),
                event: SyncLogEntry.Event(rawValue: try row.value("event")) ?? .local, peer: try row.value("peer"),
                note: try row.value("note_id", as: String?.self).flatMap(NoteID.init), version: try row.value("version"),
                node: try row.value("node", as: String?.self).flatMap(NodeID.init), author: try row.value("author"),
                notes: try row.value("notes"), changes: try row.value("changes"), summary: try row.value("summary"))
        }
    }

    public func trim(keeping count: Int) async throws {
        try await client.execute(
            "DELETE FROM sync_log WHERE id <= (SELECT id FROM sync_log ORDER BY id DESC LIMIT 1 OFFSET \(count))", logger: logger)
    }
}
