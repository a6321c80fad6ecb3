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
        // A no-op update rather than DO NOTHING: a row a concurrent proposal committed after this
        // statement's snapshot is invisible to a SELECT here, but the conflict path locks and
        // returns its latest committed version, so every proposer gets the value that was stored.
        let stored = try await client.scalar(
            """
            INSERT INTO hub_setting (name, value) VALUES (\(name), \(proposed))
            ON CONFLICT (name) DO UPDATE SET value = hub_setting.value RETURNING value
            """, as: String.self, logger: logger)
        return stored ?? proposed
    }
}
