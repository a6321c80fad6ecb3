import HubCore
import Logging
import PostgresNIO

/// Hub-wide settings (`HubSettingsRepository`) in the `hub_setting` table.
public struct PostgresHubSettings: HubSettingsRepository {
    let client: PostgresPool
    let logger: Logger

    public func value(_ name: String) async throws -> String? {
        try await client.scalar("SELECT value FROM hub_setting WHERE name = \(name)", as: String.self, logger: logger)
    }

    public func set(_ name: String, to value: String) async throws {
        try await client.execute(
            "INSERT INTO hub_setting (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            logger: logger)
    }
}
