import HubCore
import HubDatabase
import HubPostgres
import HubSystem
import Logging
import ServiceLifecycle

/// The hub's metadata database, whichever `DATABASE_URL` names: its repositories, and for
/// PostgreSQL the connection pool that must run beside them. SQLite (the default, in
/// `HUB_DATA_DIR`) is opened and migrated here; PostgreSQL is contacted and migrated only when
/// the hub starts (`prepare()`), where a failure stops it with one line.
public struct MetadataDatabase: Sendable {
    public var repositories: Repositories
    /// PostgreSQL's pool and schema; nil on SQLite.
    public var postgres: HubPostgresDatabase?
    /// Uploads' write locks across the instances sharing the database; nil on SQLite, whose
    /// file one process serves.
    public var uploadLocks: (any UploadLocks)?
    /// Which instance does what only one may (run the peer network); nil on SQLite.
    public var roleClaims: (any RoleClaims)?
    /// How instances sharing the database tell each other what to drop from their caches; nil
    /// on SQLite.
    public var broadcast: PostgresCacheBroadcast?

    public init(
        repositories: Repositories, postgres: HubPostgresDatabase? = nil, uploadLocks: (any UploadLocks)? = nil,
        roleClaims: (any RoleClaims)? = nil, broadcast: PostgresCacheBroadcast? = nil
    ) {
        self.repositories = repositories
        self.roleClaims = roleClaims
        self.postgres = postgres
        self.uploadLocks = uploadLocks
        self.broadcast = broadcast
    }

    public static func open(
        _ configuration: HubConfiguration, logger: Logger, metrics: HubMetrics = .disabled
    ) throws(ConfigurationError) -> MetadataDatabase {
        // The data directory holds more than SQLite's file (the node id, migration journals).
        do {
            try PosixPath.createDirectories(configuration.dataDirectory)
        } catch {
            throw ConfigurationError(setting: "HUB_DATA_DIR", problem: "cannot be created: \(error)")
        }
        if let settings = configuration.postgres {
            let database = HubPostgresDatabase(settings, logger: logger, metrics: HubPostgresDatabase.metrics(metrics))
            let (broadcast, locks) = (database.makeCacheBroadcast(), database.makeLocks())
            return MetadataDatabase(
                repositories: database.repositories(videoCache: { CachedVideoRepository($0, broadcast: broadcast) }), postgres: database,
                uploadLocks: locks, roleClaims: locks, broadcast: broadcast)
        }
        do {
            return MetadataDatabase(repositories: try HubDatabase.open(path: configuration.sqlitePath, metrics: DatabaseMetrics(metrics, backend: "sqlite")).repositories)
        } catch {
            throw ConfigurationError(setting: "HUB_DATA_DIR", problem: "holds no usable database at \(configuration.sqlitePath): \(error)")
        }
    }

    /// Reachable and migrated (PostgreSQL, on a connection of its own); SQLite was both when it
    /// was opened.
    public func prepare() async throws(ConfigurationError) {
        try await postgres?.prepare()
    }

    /// This hub's node id to its peers. On SQLite it is the one in `HUB_DATA_DIR` (`own`). On
    /// PostgreSQL every instance is the same node, whose id is kept in the database: the first
    /// instance to start stores its own, the others adopt it.
    public func nodeID(proposing own: NodeID) async throws(ConfigurationError) -> NodeID {
        guard let postgres else { return own }
        let stored: String
        do {
            stored = try await postgres.withDirectSettings { try await $0.value(NodeID.settingName, proposing: own.rawValue) }
        } catch {
            throw ConfigurationError(setting: "DATABASE_URL", problem: "could not read the deployment's node id: \(error)")
        }
        guard let id = NodeID(stored) else {
            throw ConfigurationError(setting: "DATABASE_URL", problem: "holds a node id that is not one ('\(stored)' in hub_setting)")
        }
        return id
    }

    /// Runs `body` with the pool running beside it (prepared first when `prepare` is true): for
    /// the commands that work on the data outside `serve`.
    public func withReady<T: Sendable>(prepare: Bool = true, _ body: @Sendable () async throws -> T) async throws -> T {
        guard let postgres else { return try await body() }
        if prepare { try await self.prepare() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await postgres.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body()
        }
    }
}

/// PostgreSQL's pool as one of the application's services, running until the group shuts down.
struct PostgresPoolService: Service {
    let database: HubPostgresDatabase

    func run() async throws {
        await cancelWhenGracefulShutdown { await database.run() }
    }
}

/// Hears the other instances' changes and drops what they make stale from this instance's
/// caches, until the group shuts down.
struct CacheInvalidationService: Service {
    let broadcast: PostgresCacheBroadcast
    let caches: [any CacheInvalidating]

    func run() async throws {
        let changes = broadcast.changes()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await broadcast.run() }
                for await change in changes {
                    for cache in caches { cache.invalidate(change) }
                }
            }
        }
    }
}
