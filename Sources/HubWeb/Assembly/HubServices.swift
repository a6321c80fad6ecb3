import HubAccounts
import HubCore
import HubMedia
import HubNotes
import HubStorage
import HubSync
import Logging

/// The hub's domain services, each built once from `HubDependencies`: the video library, tus
/// uploads, accounts, the notepad and (with `P2P_ENABLED`) the peer network. The application's
/// routes and the command line's commands are given these, each only the ones it uses.
public struct HubServices: Sendable {
    public let dependencies: HubDependencies
    public let videos: VideoService
    public let uploads: TusUploadService
    public let accounts: AccountService
    public let notepad: NotepadService
    /// Runs the processing queue's jobs (`MEDIA_WORKERS` at once).
    public let mediaWorkers: MediaWorkers
    /// The peer network, when `P2P_ENABLED`.
    public let network: PeerNetwork?
    /// Fetches peers' videos' blocks into the block cache, when `P2P_ENABLED`.
    public let blockFetcher: BlockFetcher?
    /// Plays peers' shared videos here, when `P2P_ENABLED`.
    public let peerVideos: PeerVideos?
    /// Keeps whole the peers' videos this hub holds for others, when `P2P_ENABLED`.
    public let replicaKeeper: ReplicaKeeper?
    /// Bytes uploaded and served today, on their way to the database (`TrafficRepository`).
    public let traffic: TrafficTally
    /// The figures, dependencies and errors an operator watches.
    public let operations: HubOperations

    public var configuration: HubConfiguration { dependencies.configuration }

    /// The services over the live dependencies (`HubDependencies.live`), as `serve` and the
    /// commands that work on a hub's own data build them; nothing is left open on failure.
    public static func live(_ configuration: HubConfiguration, logger: Logger) async throws(ConfigurationError) -> HubServices {
        var dependencies = try HubDependencies.live(configuration, logger: logger)
        do {
            // Before any service runs: PostgreSQL answers and its schema is current.
            try await dependencies.database.prepare()
            dependencies.node.id = try await dependencies.database.nodeID(proposing: dependencies.node.id)
            return try HubServices(dependencies)
        } catch {
            await dependencies.shutdown()
            throw error
        }
    }

    public init(_ dependencies: HubDependencies) throws(ConfigurationError) {
        self.dependencies = dependencies
        let configuration = dependencies.configuration
        let repositories = dependencies.repositories
        let (clock, logger) = (dependencies.clock, dependencies.logger)
        let metrics = dependencies.telemetry.metrics
        let traffic = TrafficTally(clock: clock)
        self.traffic = traffic
        let uploadMetrics = UploadMetrics(metrics, traffic: traffic)
        let staging = UploadStaging(directory: "\(configuration.uploadDirectory)/.incoming")
        do {
            try staging.prepare()
        } catch {
            throw ConfigurationError(setting: "UPLOAD_DIR", problem: "is not writable: \(error)")
        }
        let catalogue = VideoCatalogue(
            repository: repositories.catalogue, videos: repositories.videos, accounts: repositories.accounts, node: dependencies.node,
            listsPeersVideos: configuration.peers.enabled, clock: clock, logger: logger)
        let ingestor = VideoIngestor(
            store: dependencies.store, videos: repositories.videos, staging: staging, clock: clock, metrics: uploadMetrics, logger: logger)
        videos = VideoService(
            repository: repositories.videos, store: dependencies.store, ingestor: ingestor, staging: staging, catalogue: catalogue,
            jobs: repositories.mediaJobs, clock: clock, logger: logger)
        mediaWorkers = MediaWorkers(
            settings: .init(workers: configuration.mediaWorkers, soleProcess: dependencies.database.roleClaims == nil),
            queue: repositories.mediaJobs, videos: repositories.videos,
            preparation: VideoPreparation(
                store: dependencies.store, media: dependencies.media, staging: staging,
                scratch: ScratchSpace(directory: "\(configuration.uploadDirectory)/.processing", budget: configuration.transcodeScratchBytes),
                previewInterval: configuration.previewIntervalSeconds, resolutions: configuration.transcodeResolutions, logger: logger),
            catalogue: catalogue, clock: clock, metrics: ProcessingMetrics(metrics), logger: logger)
        uploads = TusUploadService(
            uploads: repositories.uploads, videos: repositories.videos, ingestor: ingestor, staging: staging, clock: clock,
            settings: .init(maxUploadBytes: configuration.maxUploadBytes, expiry: .seconds(configuration.uploadExpirySeconds)),
            locks: dependencies.database.uploadLocks, parts: StorageFactory.uploadParts(of: dependencies.store), metrics: uploadMetrics,
            logger: logger)
        accounts = try AccountService(
            configuration: configuration, accounts: repositories.accounts, clock: clock, broadcast: dependencies.database.broadcast,
            signInFailures: repositories.signInFailures, logger: logger)
        let mirror = try NoteMirror(directory: configuration.notepadStoragePath, logger: logger)
        // With several instances, the one holding the mirror role writes it (`buildApplication`).
        if dependencies.database.roleClaims != nil { mirror.accept(false) }
        notepad = NotepadService(
            notes: repositories.notes, videos: repositories.videos, analytics: repositories.noteAnalytics, mirror: mirror,
            syncLog: repositories.syncLog, node: dependencies.node, clock: clock, maxContentBytes: configuration.noteMaxBytes, logger: logger)
        let peers = configuration.peers
        guard peers.enabled else {
            (network, blockFetcher, peerVideos, replicaKeeper) = (nil, nil, nil, nil)
            operations = HubOperations(
                telemetry: dependencies.telemetry, videos: videos, jobs: repositories.mediaJobs, network: nil, media: dependencies.media, clock: clock)
            return
        }
        let cache = BlockCache(store: dependencies.store, budget: peers.blockCacheBytes)
        let kept = ReplicaLibrary(cache: cache, store: dependencies.store)
        let network = PeerNetwork(
            settings: .init(
                port: peers.port, host: configuration.host, seeds: peers.seeds, fanout: peers.fanout, gossipInterval: peers.gossipInterval,
                antiEntropyInterval: peers.antiEntropyInterval, multicastDNS: peers.multicastDNS, sendRate: peers.sendBytesPerSecond),
            identity: dependencies.node, notepad: notepad, catalogue: catalogue,
            library: CombinedLibrary([VideoLibraryForPeers(videos: videos.repository, store: videos.store), kept]),
            peers: repositories.peers, kept: kept,
            authenticator: .forHub(secret: peers.secret, node: dependencies.node.id, clock: clock), transport: dependencies.peerTransport,
            clock: clock, logger: logger)
        let fetcher = BlockFetcher(
            cache: cache, transport: dependencies.peerTransport, metrics: network.metrics, clock: clock, logger: logger,
            record: network.notepad.recordSync)
        let peerVideos = PeerVideos(
            network: network, fetcher: fetcher, kept: kept, replicas: peers.videoReplicas, store: dependencies.store, logger: logger)
        catalogue.onWithdrawal { await peerVideos.forget($0) }
        self.network = network
        self.blockFetcher = fetcher
        self.peerVideos = peerVideos
        self.replicaKeeper = ReplicaKeeper(catalogue: catalogue, network: network, videos: peerVideos, replicas: kept, logger: logger)
        operations = HubOperations(
            telemetry: dependencies.telemetry, videos: videos, jobs: repositories.mediaJobs, network: network, media: dependencies.media, clock: clock)
    }
}
