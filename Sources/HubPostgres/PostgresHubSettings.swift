import HubCore
import Logging
import PostgresNIO

/// Hub-wide settings (`HubSettingsRepository`) in the `hub_setting` table.
public struct PostgresHubSettings: HubSettingsRepository {
    let client: PostgresClient
    let logger: Logger

    public func value(_ name: String) async throws -> String? {
        let rows = try await client.query("SELECT value FROM hub_setting WHERE name = \(name)", logger: logger)
        for try await value in rows.decode(String.self) { return value }
        return nil
    }

    public func set(_ name: String, to value: String) async throws {
        try await client.query(
            "INSERT INTO hub_setting (name, value) VALUES (\(name), \(value)) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            logger: logger)
    }
}
