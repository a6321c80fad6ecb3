import Foundation
import HubCore
import Logging
import PostgresNIO

/// Peers added by hand, in the `peer` table.
public struct PostgresPeerRepository: PeerRepository {
    let client: PostgresPool
    let logger: Logger

    public func all() async throws -> [(name: String, address: String)] {
        try await client.rows("SELECT name, address FROM peer ORDER BY added_at, address", logger: logger).map {
            (try $0.value("name"), try $0.value("address"))
        }
    }

    public func save(name: String, address: String, at date: Date) async throws {
        try await client.execute(
            """
            INSERT INTO peer (address, name, added_at) VALUES (\(address), \(name), \(date))
            ON CONFLICT (address) DO UPDATE SET name = excluded.name
            """, logger: logger)
    }
}
