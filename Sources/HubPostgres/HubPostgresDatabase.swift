import HubCore
import Logging
import NIOSSL
import PostgresNIO

/// The hub's metadata in PostgreSQL: a pool of at most `DATABASE_POOL_SIZE` connections and the
/// schema, migrated at start. The pool's `run()` must run for as long as the database is used
/// (the application runs it as a service; tests in a task beside them).
public struct HubPostgresDatabase: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(_ settings: PostgresSettings, logger: Logger) {
        let tls: PostgresClient.Configuration.TLS = switch settings.tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require:
            .require({
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                return configuration
            }())
        case .verifyFull: .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password, database: settings.database,
            tls: tls)
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.connectTimeout = .seconds(5)
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Brings the schema to the newest version. Every instance calls this at start; a
    /// session-level advisory lock makes the others wait while one migrates, and each
    /// migration's version is recorded in its own transaction, so a migration runs once however
    /// many instances start at once, and one interrupted is run again whole.
    public func migrate() async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.migrationLock))", logger: logger)
            do {
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: logger)
                var applied = Set<Int>()
                for try await version in try await connection.query("SELECT version FROM schema_migration", logger: logger).decode(Int.self) {
                    applied.insert(version)
                }
                for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        for statement in migration.statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                        try await connection.query(
                            "INSERT INTO schema_migration (version, name) VALUES (\(migration.version), \(migration.name))", logger: logger)
                        try await connection.query("COMMIT", logger: logger)
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    logger.notice("database migrated", metadata: ["version": "\(migration.version)", "migration": "\(migration.name)"])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(Self.migrationLock))", logger: logger)
        }
    }

    /// The versions applied, oldest first.
    public func migrationVersions() async throws -> [Int] {
        var versions: [Int] = []
        for try await version in try await client.query("SELECT version FROM schema_migration ORDER BY version", logger: logger).decode(Int.self) {
            versions.append(version)
        }
        return versions
    }

    /// Every schema version this build knows, oldest first: what a migrated database has applied.
    public static var schemaVersions: [Int] { PostgresSchema.migrations.map(\.version) }

    /// The advisory lock key of schema migrations: any fixed 64-bit number other locks do not use.
    static let migrationLock: Int64 = 0x5354_524D_4855_4201

    public var settings: PostgresHubSettings { PostgresHubSettings(client: client, logger: logger) }
}

extension HubPostgresDatabase {
    public var videos: PostgresVideoRepository { PostgresVideoRepository(client: client, logger: logger) }
    public var uploads: PostgresUploadRepository { PostgresUploadRepository(client: client, logger: logger) }
    public var accounts: PostgresAccountRepository { PostgresAccountRepository(client: client, logger: logger) }
    public var notes: PostgresNoteRepository { PostgresNoteRepository(client: client, logger: logger) }
    public var noteAnalytics: PostgresNoteAnalyticsRepository { PostgresNoteAnalyticsRepository(client: client, logger: logger) }
    public var syncLog: PostgresSyncLogRepository { PostgresSyncLogRepository(client: client, logger: logger) }
    public var peers: PostgresPeerRepository { PostgresPeerRepository(client: client, logger: logger) }

    /// Every repository the hub uses, on this database; videos behind the same short-lived cache
    /// as on SQLite (every stream request looks its video up).
    public func repositories(videoCache: (any VideoRepository) -> any VideoRepository) -> Repositories {
        Repositories(
            videos: videoCache(videos), uploads: uploads, accounts: accounts, settings: settings, notes: notes,
            noteAnalytics: noteAnalytics, syncLog: syncLog, peers: peers)
    }
}
