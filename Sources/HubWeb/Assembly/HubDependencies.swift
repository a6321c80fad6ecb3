import AsyncHTTPClient
import HubCore
import HubDatabase
import HubMedia
import HubStorage
import HubSync
import HubSystem
import Logging

/// What a hub is built from: its configuration and the parts that reach outside the process
/// (the database's repositories, the object store, the media tools, the clock, this hub's node
/// identity and the transport to its peers, the HTTP client for S3 and peers). `live(_:logger:)` builds the real ones; a test builds its own with the
/// memberwise initialiser, or changes one field of `live` (a store that fails, a stopped
/// database). `HubServices` derives every domain service from this value, so whatever is put
/// here is what every route and command uses.
public struct HubDependencies: Sendable {
    public var configuration: HubConfiguration
    /// The metadata database: its repositories, and PostgreSQL's pool when `DATABASE_URL` names one.
    public var database: MetadataDatabase
    public var store: any ObjectStore
    public var media: any MediaProcessor
    public var clock: any WallClock
    /// This hub in the peer network: its node id (kept in `HUB_DATA_DIR`) and `P2P_NODE_NAME`.
    public var node: NodeIdentity
    /// How requests reach peers: signed HTTP, or wired in memory by a test.
    public var peerTransport: any PeerTransport
    /// Carries the hub's outgoing requests, to S3 and to peers. The application shuts it down
    /// when it stops (`shutdown()`); `HTTPClient.shared` is left alone.
    public var http: HTTPClient
    /// Where every module's figures go, for `GET /metrics`.
    public var telemetry: HubTelemetry
    public var logger: Logger

    public init(
        configuration: HubConfiguration, database: MetadataDatabase, store: any ObjectStore, media: any MediaProcessor,
        clock: any WallClock = SystemWallClock(), node: NodeIdentity, peerTransport: any PeerTransport, http: HTTPClient = .shared,
        telemetry: HubTelemetry = HubTelemetry(), logger: Logger
    ) {
        self.telemetry = telemetry
        self.configuration = configuration
        self.database = database
        self.store = store
        self.media = media
        self.clock = clock
        self.node = node
        self.peerTransport = peerTransport
        self.http = http
        self.logger = logger
    }

    /// Every repository, on whichever database it is.
    public var repositories: Repositories {
        get { database.repositories }
        set { database.repositories = newValue }
    }

    /// The real parts the configuration names: the database `DATABASE_URL` names (SQLite in
    /// `HUB_DATA_DIR` by default, made on first start), the store `STORAGE_BACKEND` names, ffmpeg
    /// when it is installed. Nothing remote is contacted yet: `HubStartUp` checks that
    /// PostgreSQL and the store answer before the hub serves.
    /// `http` nil makes the hub's own client (with the deadlines S3 wants), which `shutdown()`
    /// closes; a test that never runs the application passes `.shared`.
    public static func live(
        _ configuration: HubConfiguration, http: HTTPClient? = nil, logger: Logger
    ) throws(ConfigurationError) -> HubDependencies {
        // Before the HTTP client below starts its threads.
        MemoryTuning.apply()
        let telemetry = HubTelemetry()
        let database = try MetadataDatabase.open(configuration, logger: logger, metrics: telemetry.metrics)
        let node = NodeIdentity(id: try NodeID.load(dataDirectory: configuration.dataDirectory), name: configuration.peers.nodeName)
        let http = http ?? StorageFactory.makeHTTPClient()
        let store: any ObjectStore
        do {
            store = try StorageFactory.makeStore(configuration, http: http, logger: logger, metrics: telemetry.metrics)
        } catch {
            if http !== HTTPClient.shared { try? http.syncShutdown() }
            throw error
        }
        let clock = SystemWallClock()
        let transport = HTTPPeerTransport(
            http: http, authenticator: .forHub(secret: configuration.peers.secret, node: node.id, clock: clock))
        return HubDependencies(
            configuration: configuration, database: database, store: store, media: MediaTools.detect(), clock: clock,
            node: node, peerTransport: transport, http: http, telemetry: telemetry, logger: logger)
    }

    /// Releases what `live` opened that outlives a request: the upload locks' connection and the
    /// HTTP client's connections.
    public func shutdown() async {
        await database.uploadLocks?.close()
        guard http !== HTTPClient.shared else { return }
        do {
            try await http.shutdown()
        } catch {
            logger.warning("the HTTP client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
    }
}
