import Foundation
import HubCore
import HubDatabase
import HubPostgres
import Logging
import Testing

@Suite struct PostgresDatabaseTests {
    @Test func threeInstancesStartingAtOnceMigrateOnce() async throws {
        try await withPostgres { _, settings in
            let logger = Logger.quiet("instance")
            // Three more instances on the same (already migrated once) database, and a fresh one.
            let fresh = try #require(PostgresServer.shared).makeDatabase()
            for target in [settings, fresh] {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<3 {
                        group.addTask { try await withClient(HubPostgresDatabase(target, logger: logger)) { try await $0.migrate() } }
                    }
                    try await group.waitForAll()
                }
                let versions = try await withClient(HubPostgresDatabase(target, logger: logger)) { try await $0.migrationVersions() }
                #expect(versions == [1], "\(target.database)")
            }
        }
    }

    /// The settings repository behaves the same on SQLite and PostgreSQL.
    @Test func settingsConformOnBothDatabases() async throws {
        try await Self.settingsConform(try HubDatabase.inMemory().settings)
        try await withPostgres { database, _ in try await Self.settingsConform(database.settings) }
    }

    static func settingsConform(_ settings: any HubSettingsRepository) async throws {
        #expect(try await settings.value("storageLocation") == nil)
        try await settings.set("storageLocation", to: "local")
        #expect(try await settings.value("storageLocation") == "local")
        try await settings.set("storageLocation", to: "s3://bucket ünïcødé 'quoted'")
        #expect(try await settings.value("storageLocation") == "s3://bucket ünïcødé 'quoted'")
        #expect(try await settings.value("other") == nil)
    }
}

extension Logger {
    static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }
}
