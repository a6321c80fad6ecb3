import Foundation
import GRDB
import HubCore

/// Peers added by hand, in the `peer` table.
public struct SQLitePeerRepository: PeerRepository {
    let writer: any DatabaseWriter

    public func all() async throws -> [(name: String, address: String)] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, address FROM peer ORDER BY addedAt").map { ($0["name"], $0["address"]) }
        }
    }

    public func save(name: String, address: String, at date: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO peer (address, name, addedAt) VALUES (?, ?, ?) ON CONFLICT (address) DO UPDATE SET name = excluded.name",
                arguments: [address, name, date])
        }
    }
}
