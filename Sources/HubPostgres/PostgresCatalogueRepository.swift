import Foundation
import HubCore
import Logging
import PostgresNIO

/// The shared video catalogue in the `catalogue_entry` table: each entry as JSON text, with the
/// columns listing, search and anti-entropy read.
public struct PostgresCatalogueRepository: CatalogueRepository {
    let client: PostgresPool
    let logger: Logger

    public func save(_ entries: [CatalogueEntry]) async throws {
        let encoder = JSONEncoder()
        let rows = try entries.map { ($0, String(decoding: try encoder.encode($0), as: UTF8.self)) }
        try await client.transaction(logger: logger) { connection in
            for (entry, json) in rows {
                let (listed, digest, text) = (entry.isListed, Int64(bitPattern: entry.digest), entry.searchText)
                try await connection.query(
                    """
                    INSERT INTO catalogue_entry (video_id, origin, listed, created_at, digest, search_text, entry)
                    VALUES (\(entry.video.rawValue), \(entry.origin.rawValue), \(listed), \(entry.facts.createdAt), \(digest), \(text), \(json))
                    ON CONFLICT (video_id) DO UPDATE SET listed = excluded.listed, digest = excluded.digest,
                        search_text = excluded.search_text, entry = excluded.entry
                    """, logger: logger)
            }
        }
    }

    public func entries(_ ids: [VideoID]) async throws -> [VideoID: CatalogueEntry] {
        guard !ids.isEmpty else { return [:] }
        let decoder = JSONDecoder()
        var found: [VideoID: CatalogueEntry] = [:]
        for row in try await client.rows("SELECT entry FROM catalogue_entry WHERE video_id = ANY(\(ids.map(\.rawValue)))", logger: logger) {
            let entry = try decoder.decode(CatalogueEntry.self, from: Data((try row.value("entry") as String).utf8))
            found[entry.video] = entry
        }
        return found
    }

    public func digests() async throws -> [VideoID: UInt64] {
        var digests: [VideoID: UInt64] = [:]
        for row in try await client.rows("SELECT video_id, digest FROM catalogue_entry", logger: logger) {
            if let id = VideoID(try row.value("video_id") as String) { digests[id] = UInt64(bitPattern: try row.value("digest") as Int64) }
        }
        return digests
    }

    public func listed(query: String?, excludingOrigin node: NodeID, offset: Int, limit: Int) async throws -> Page<CatalogueEntry> {
        var statement = PostgresStatement()
        var conditions = ["listed", "origin <> \(statement.bind(node.rawValue))"]
        for pattern in CatalogueEntry.wordPatterns(query) {
            conditions.append("(' ' || search_text) LIKE \(statement.bind(pattern)) ESCAPE '\\'")
        }
        let filter = conditions.joined(separator: " AND ")
        let total = try await client.scalar(statement.query("SELECT COUNT(*) FROM catalogue_entry WHERE \(filter)"), as: Int.self, logger: logger) ?? 0
        let page = "ORDER BY created_at DESC, video_id COLLATE \"C\" LIMIT \(statement.bind(limit)) OFFSET \(statement.bind(offset))"
        let decoder = JSONDecoder()
        let items = try await client.rows(statement.query("SELECT entry FROM catalogue_entry WHERE \(filter) \(page)"), logger: logger).map {
            try decoder.decode(CatalogueEntry.self, from: Data((try $0.value("entry") as String).utf8))
        }
        return Page(items: items, total: total, offset: offset, limit: limit)
    }
}
