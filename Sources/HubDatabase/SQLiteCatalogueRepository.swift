import Foundation
import GRDB
import HubCore

/// The shared video catalogue in the `catalogueEntry` table: each entry as JSON, with the
/// columns listing, search and anti-entropy read.
public struct SQLiteCatalogueRepository: CatalogueRepository {
    let writer: any DatabaseWriter

    public func save(_ entries: [CatalogueEntry]) async throws {
        let encoder = JSONEncoder()
        let rows = try entries.map { ($0, String(decoding: try encoder.encode($0), as: UTF8.self)) }
        try await writer.write { db in
            for (entry, json) in rows {
                try db.execute(
                    sql: """
                        INSERT INTO catalogueEntry (videoID, origin, listed, createdAt, digest, searchText, entry)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (videoID) DO UPDATE SET listed = excluded.listed, digest = excluded.digest,
                            searchText = excluded.searchText, entry = excluded.entry
                        """,
                    arguments: [
                        entry.video.rawValue, entry.origin.rawValue, entry.isListed, entry.facts.createdAt,
                        Int64(bitPattern: entry.digest), entry.searchText, json,
                    ])
            }
        }
    }

    public func entries(_ ids: [VideoID]) async throws -> [VideoID: CatalogueEntry] {
        guard !ids.isEmpty else { return [:] }
        let decoder = JSONDecoder()
        return try await writer.read { db in
            var found: [VideoID: CatalogueEntry] = [:]
            // In pages: SQLite binds at most 32,766 values a statement.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let page = ids[start..<min(start + 500, ids.count)]
                let sql = "SELECT entry FROM catalogueEntry WHERE videoID IN (\(page.map { _ in "?" }.joined(separator: ",")))"
                for json in try String.fetchAll(db, sql: sql, arguments: StatementArguments(page.map(\.rawValue))) {
                    let entry = try decoder.decode(CatalogueEntry.self, from: Data(json.utf8))
                    found[entry.video] = entry
                }
            }
            return found
        }
    }

    public func digests() async throws -> [VideoID: UInt64] {
        try await writer.read { db in
            var digests: [VideoID: UInt64] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT videoID, digest FROM catalogueEntry")
            while let row = try rows.next() {
                if let id = VideoID(row["videoID"] as String) { digests[id] = UInt64(bitPattern: row["digest"]) }
            }
            return digests
        }
    }

    public func listed(query: String?, excludingOrigin node: NodeID, offset: Int, limit: Int) async throws -> Page<CatalogueEntry> {
        let patterns = CatalogueEntry.wordPatterns(query)
        let filter = (["listed", "origin <> ?"] + patterns.map { _ in "(' ' || searchText) LIKE ? ESCAPE '\\'" }).joined(separator: " AND ")
        let arguments = StatementArguments([node.rawValue] + patterns)
        let decoder = JSONDecoder()
        return try await writer.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM catalogueEntry WHERE \(filter)", arguments: arguments) ?? 0
            let rows = try String.fetchAll(
                db, sql: "SELECT entry FROM catalogueEntry WHERE \(filter) ORDER BY createdAt DESC, videoID LIMIT ? OFFSET ?",
                arguments: arguments + [limit, offset])
            let items = try rows.map { try decoder.decode(CatalogueEntry.self, from: Data($0.utf8)) }
            return Page(items: items, total: total, offset: offset, limit: limit)
        }
    }
}
