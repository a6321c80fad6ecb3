import GRDB
import HubCore

/// Hub-wide settings kept in the database (`hubSetting`): what every instance on the same
/// database must agree on, as opposed to per-process configuration.
public struct SQLiteHubSettings: HubSettingsRepository {
    let writer: any DatabaseWriter

    public func value(_ name: String) async throws -> String? {
        try await writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM hubSetting WHERE name = ?", arguments: [name]) }
    }

    public func set(_ name: String, to value: String) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO hubSetting (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                arguments: [name, value])
        }
    }

    public func value(_ name: String, proposing proposed: String) async throws -> String {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO hubSetting (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", arguments: [name, proposed])
            return try String.fetchOne(db, sql: "SELECT value FROM hubSetting WHERE name = ?", arguments: [name]) ?? proposed
        }
    }
}
