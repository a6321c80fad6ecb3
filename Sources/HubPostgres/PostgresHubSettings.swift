import HubCore
import Logging
import PostgresNIO

/// Hub-wide settings (`HubSettingsRepository`) in the `hub_setting` table.
public struct PostgresHubSettings: HubSettingsRepository {
    let client: any PostgresQuerying & Sendable
    let logger: Logger

    public func value(_ name: String) async throws -> String? {
        try await client.scalar("SELECT value FROM hub_setting WHERE name = \(name)", as: String.self, logger: logger)
    }

    public func set(_ name: String, to value: String) async throws {
        try await client.execute(
            "INSERT INTO hub_setting (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            logger: logger)
    }

    public func value(_ name: String, proposing proposed: String) async throws -> String {
        // One statement: the row inserted, or the one a concurrent proposal inserted first.
        let stored = try await client.scalar(
            """
            WITH inserted AS (
                INSERT INTO hub_setting (name, value) VALUES (\(name), \(proposed)) ON CONFLICT (name) DO NOTHING RETURNING value
            )
            SELECT value FROM inserted UNION ALL SELECT value FROM hub_setting WHERE name = \(name)
            LIMIT 1
            """, as: String.self, logger: logger)
        return stored ?? proposed
    }
}
