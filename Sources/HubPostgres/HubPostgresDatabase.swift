import HubCore
import Logging
import NIOPosix
import NIOSSL
import PostgresNIO

/// The hub's metadata in PostgreSQL: a pool of at most `DATABASE_POOL_SIZE` connections and the
/// schema, migrated at start. The pool's `run()` must run for as long as the database is used
/// (the application runs it as a service; commands and tests in a task beside them).
public struct HubPostgresDatabase: Sendable {
    public let client: PostgresClient
    let pool: PostgresPool
    let settings: PostgresSettings
    let logger: Logger

    /// How long a statement may wait for a connection and its answer before the request is
    /// answered 503: long enough for a busy pool, short enough that a client is not held while
    /// PostgreSQL is away.
    public static let statementDeadline: Duration = .seconds(10)

    /// How long opening a connection may take, pooled or not.
    static let connectTimeout: Duration = .seconds(5)

    public init(
        _ settings: PostgresSettings, logger: Logger, statementDeadline: Duration = Self.statementDeadline, metrics: DatabaseMetrics = .disabled
    ) {
        // `require` encrypts without checking the certificate, as libpq's sslmode=require does.
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        let tls: PostgresClient.Configuration.TLS = switch settings.tls {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(unverified)
        case .verifyFull: .require(.makeClientConfiguration())
        }
        var pooled = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password, database: settings.database,
            tls: tls)
        pooled.options.maximumConnections = settings.poolSize
        pooled.options.connectTimeout = Self.connectTimeout
        self.client = PostgresClient(configuration: pooled, backgroundLogger: logger)
        self.pool = PostgresPool(client: client, deadline: statementDeadline, metrics: metrics)
        self.settings = settings
        self.logger = logger
    }

    /// The figures of statements run through the pool: PostgreSQL's own errors and a server
    /// that is gone count as failures; what a transaction's body throws (a version conflict)
    /// does not.
    public static func metrics(_ metrics: HubMetrics) -> DatabaseMetrics {
        DatabaseMetrics(metrics, backend: "postgres", isFailure: { $0 is PSQLError || $0 is DatabaseUnavailable })
    }

    /// Runs the connection pool until the task is cancelled; statements wait for it to run.
    public func run() async {
        await client.run()
    }

    /// What must hold before the hub uses the database: it answers, with these credentials,
    /// and its schema is current. Done on a connection of its own, before the pool runs: the
    /// pool would retry an unreachable server forever, and the hub's background work would meet
    /// a schema not yet made. A failure is a `ConfigurationError` naming `DATABASE_URL` with
    /// what was wrong (unreachable, refused credentials, no such database, a failed migration).
    public func prepare() async throws(ConfigurationError) {
        let connection: PostgresConnection
        do {
            connection = try await connectDirectly(id: 0)
        } catch {
            throw ConfigurationError(setting: "DATABASE_URL", problem: Self.explain(error, settings))
        }
        do {
            try await migrate(on: connection)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw ConfigurationError(setting: "DATABASE_URL", problem: "names a database whose schema could not be migrated: \(Self.explain(error, settings))")
        }
    }

    /// Hub-wide settings on a connection of their own: at start-up, before the pool runs.
    public func withDirectSettings<T: Sendable>(_ body: (any HubSettingsRepository) async throws -> T) async throws -> T {
        let connection = try await connectDirectly(id: 3)
        do {
            let result = try await body(PostgresHubSettings(client: connection, logger: logger))
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A connection of its own, outside the pool: for start-up checks and migrations, and for
    /// what holds a connection for long (upload locks, the change listener). `id` names it in logs.
    func connectDirectly(id: Int) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try probeConfiguration(), id: id, logger: logger)
    }

    /// The pool's settings for one direct connection (whose TLS takes a context, not a configuration).
    func probeConfiguration() throws -> PostgresConnection.Configuration {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        let tls: PostgresConnection.Configuration.TLS = switch settings.tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: unverified))
        case .verifyFull: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: settings.host, port: settings.port, username: settings.user, password: settings.password, database: settings.database,
            tls: tls)
        configuration.options.connectTimeout = TimeAmount(Self.connectTimeout)
        return configuration
    }

    /// A connection failure in the words an operator acts on.
    static func explain(_ error: any Error, _ settings: PostgresSettings) -> String {
        let place = "PostgreSQL at \(settings.host):\(settings.port)"
        guard let error = error as? PSQLError else { return "cannot reach \(place): \(error)" }
        switch error.sqlState {
        case "28P01", "28000": return "\(place) refused user '\(settings.user)' (wrong password, or not allowed by pg_hba.conf)"
        case "3D000": return "\(place) has no database named '\(settings.database)'"
        case let state?:
            return "\(place) answered \(state): \(error.serverInfo?[.message] ?? "\(error.code)")"
        case nil:
            if let cause = error.underlying { return "cannot reach \(place): \(cause)" }
            if error.code == .serverClosedConnection {
                return "cannot reach \(place): no PostgreSQL answered within \(connectTimeout) (is the host or port right, or a firewall in the way?)"
            }
            return "cannot reach \(place): \(error.code)"
        }
    }

    /// Brings the schema to the newest version. Every instance calls this at start; a
    /// session-level advisory lock makes the others wait while one migrates, and each
    /// migration's version is recorded in its own transaction, so a migration runs once however
    /// many instances start at once, and one interrupted is run again whole.
    func migrate(on connection: PostgresConnection) async throws {
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

    /// Migrates on a connection of its own (what `prepare()` does, without its checks).
    public func migrate() async throws {
        let connection = try await connectDirectly(id: 0)
        do {
            try await migrate(on: connection)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    /// The versions applied, oldest first.
    public func migrationVersions() async throws -> [Int] {
        try await pool.rows("SELECT version FROM schema_migration ORDER BY version", logger: logger).map { try $0.value("version") }
    }

    /// Every schema version this build knows, oldest first: what a migrated database has applied.
    public static var schemaVersions: [Int] { PostgresSchema.migrations.map(\.version) }

    /// The advisory lock key of schema migrations: any fixed 64-bit number other locks do not use.
    static let migrationLock: Int64 = 0x5354_524D_4855_4201
}

extension HubPostgresDatabase {
    public var settingsRepository: PostgresHubSettings { PostgresHubSettings(client: pool, logger: logger) }
    public var videos: PostgresVideoRepository { PostgresVideoRepository(client: pool, logger: logger) }
    public var uploads: PostgresUploadRepository { PostgresUploadRepository(client: pool, logger: logger) }
    public var accounts: PostgresAccountRepository { PostgresAccountRepository(client: pool, logger: logger) }
    public var notes: PostgresNoteRepository { PostgresNoteRepository(client: pool, logger: logger) }
    public var noteAnalytics: PostgresNoteAnalyticsRepository { PostgresNoteAnalyticsRepository(client: pool, logger: logger) }
    public var syncLog: PostgresSyncLogRepository { PostgresSyncLogRepository(client: pool, logger: logger) }
    public var peers: PostgresPeerRepository { PostgresPeerRepository(client: pool, logger: logger) }
    public var catalogue: PostgresCatalogueRepository { PostgresCatalogueRepository(client: pool, logger: logger) }
    public var signInFailures: PostgresSignInFailures { PostgresSignInFailures(client: pool, logger: logger) }
    public var mediaJobs: PostgresMediaJobQueue { PostgresMediaJobQueue(client: pool, logger: logger) }
    public var traffic: PostgresTrafficRepository { PostgresTrafficRepository(client: pool, logger: logger) }

    /// Every repository the hub uses, on this database; videos behind whatever cache the hub
    /// puts in front of them (every stream request looks its video up).
    public func repositories(videoCache: (any VideoRepository) -> any VideoRepository) -> Repositories {
        Repositories(
            videos: videoCache(videos), uploads: uploads, accounts: accounts, settings: settingsRepository, notes: notes,
            noteAnalytics: noteAnalytics, syncLog: syncLog, peers: peers, catalogue: catalogue,
            mediaJobs: mediaJobs, traffic: traffic, signInFailures: signInFailures)
    }
}
