import Foundation
import HubCore
import HubDatabase
import HubPostgres
import HubTestSupport
import Logging
import Testing

@Suite struct PostgresMigrationTests {
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
                #expect(versions == HubPostgresDatabase.schemaVersions, "\(target.database)")
            }
        }
    }
}
