import HubCore
import HubMedia
import HubNotes
import HubStorage
import HubSystem
import HubSync
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the hub's HTTP application from its services. `streamhub serve` and the tests call
/// this same function; there is no second way to assemble the app. Start-up checks run before
/// the first request is answered (`HubStartUp`), in tests too.
public func buildApplication(_ hub: HubServices) -> some ApplicationProtocol {
    let configuration = hub.configuration
    let logger = hub.dependencies.logger
    // A service group stops its services in reverse order: the dependencies' shutdown is first
    // so it runs last, after everything that sends requests through them has stopped.
    var services: [any Service] = [DependencyShutdown(dependencies: hub.dependencies)]
    if let postgres = hub.dependencies.database.postgres {
        // The pool stops after everything that uses it (and before the HTTP client).
        services.append(PostgresPoolService(database: postgres))
    }
    // Everything below waits for the start-up checks: a media worker or the catalogue's upkeep
    // running against a store the videos are not in would fail jobs and report objects missing
    // in the moment before the checks stop the hub.
    let startUp = StartUpCheck { try await HubStartUp.run(hub) }
    var background: [any Service] = []
    if let broadcast = hub.dependencies.database.broadcast {
        var caches: [any CacheInvalidating] = [hub.accounts]
        if let videos = hub.dependencies.repositories.videos as? any CacheInvalidating { caches.append(videos) }
        background.append(CacheInvalidationService(broadcast: broadcast, caches: caches))
    }
    background.append(hub.uploads.expiryService(logger: logger))
    background.append(hub.mediaWorkers)
    background.append(hub.operations.sampler(logger: logger))
    background.append(
        TrafficRecording(tally: hub.traffic, repository: hub.dependencies.repositories.traffic, network: hub.network, logger: logger).service())
    background += hub.notepad.services()
    let mirroring = hub.notepad.mirrorService(everyInstance: hub.dependencies.database.roleClaims != nil)
    if let claims = hub.dependencies.database.roleClaims {
        let mirror = hub.notepad.mirror
        background.append(ExclusiveRoleService(role: .noteMirror, services: [mirroring], claims: claims, holding: { mirror.accept($0) }, logger: logger))
    } else {
        background.append(mirroring)
    }
    let upkeep = [
        ManifestBackfill(videos: hub.videos.repository, store: hub.videos.store, logger: logger).service(),
        PeriodicService("reconciling the shared catalogue", every: .seconds(3600), logger: logger) { _ = try await hub.videos.catalogue.reconcile() },
    ]
    if let claims = hub.dependencies.database.roleClaims {
        background.append(ExclusiveRoleService(role: .videoUpkeep, services: upkeep, claims: claims, logger: logger))
    } else {
        background += upkeep
    }
    if let network = hub.network {
        // The peer listener and the peer network's loops live and stop with the web server; with
        // several instances on one database, on one of them at a time.
        // The block cache's index lives in the process that holds the role, so one process
        // evicts from the store's `blocks/` at a time.
        var peerServices = [buildPeerListener(network, host: configuration.host, timeouts: configuration.timeouts, logger: logger)] + network.services()
        if let fetcher = hub.blockFetcher { peerServices.append(fetcher) }
        if let keeper = hub.replicaKeeper { peerServices.append(keeper.service(every: configuration.peers.antiEntropyInterval)) }
        if let claims = hub.dependencies.database.roleClaims {
            background.append(ExclusiveRoleService(role: .peerNetwork, services: peerServices, claims: claims, logger: logger))
        } else {
            background += peerServices
        }
    }
    services += background.map { AfterStartUp(service: $0, startUp: startUp) }
    var application = Application(
        router: buildRouter(hub),
        server: .guardedHTTP1(timeouts: configuration.timeouts),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "streamhub"),
        services: services,
        logger: logger)
    application.beforeServerStarts { try await startUp.passed() }
    return application
}

/// All routes: the JSON API under `/api/v1`, the operational probes, and the web pages. Each
/// controller is given the services it uses and nothing else.
///
/// Access is decided in two layers, each in one place: `AuthenticationMiddleware` establishes
/// who is asking (and stops forged cross-site requests); the `SignedInContext` and
/// `SignedInPageContext` groups admit only signed-in users; inside, `AccessPolicy` decides what
/// each user may see and change (through `VideoService` and `NotepadService`).
public func buildRouter(_ hub: HubServices) -> Router<HubRequestContext> {
    let configuration = hub.configuration
    let router = Router(context: HubRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RequestMetricsMiddleware(metrics: hub.dependencies.telemetry.metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: ErrorMiddleware(recent: hub.operations.recentErrors))
    router.add(middleware: RequestBodyLimitMiddleware(limits: RequestBodyLimits(configuration)))
    router.add(
        middleware: AuthenticationMiddleware(accounts: hub.accounts, trustProxy: configuration.trustProxy, metricsToken: configuration.metricsToken))

    HealthController(videos: hub.videos, network: hub.network, peerVideos: hub.peerVideos).addRoutes(to: router)
    StaticAssetController().addRoutes(to: router)
    MetricsController(operations: hub.operations).addRoutes(to: router)

    let renderer = PageRenderer()
    let api = router.group("api/v1")
    APIContractController(renderer: renderer).addRoutes(api: api, pages: router)
    let signedInAPI = api.group(context: SignedInContext.self)
    SessionController(accounts: hub.accounts, trustProxy: configuration.trustProxy).addRoutes(public: api, signedIn: signedInAPI)
    TokenController(accounts: hub.accounts).addRoutes(to: signedInAPI)
    UserAdminController(accounts: hub.accounts).addRoutes(to: signedInAPI)
    StorageAdminController(report: hub.storageReport).addRoutes(to: signedInAPI)
    VideoController(videos: hub.videos, maxUploadBytes: configuration.maxUploadBytes).addRoutes(to: signedInAPI)
    StreamController(
        videos: hub.videos, peerVideos: hub.peerVideos, streamRedirect: configuration.streamRedirect,
        metrics: StreamMetrics(hub.dependencies.telemetry.metrics, traffic: hub.traffic)
    ).addRoutes(to: signedInAPI)
    CaptionController(videos: hub.videos).addRoutes(to: signedInAPI)
    VideoPinController(videos: hub.videos, peerVideos: hub.peerVideos).addRoutes(to: signedInAPI)
    NoteController(notepad: hub.notepad).addRoutes(to: signedInAPI)
    PeerController(network: hub.network, notepad: hub.notepad).addRoutes(to: signedInAPI)
    UploadController(uploads: hub.uploads, maxUploadBytes: configuration.maxUploadBytes)
        .addRoutes(to: signedInAPI.group().add(middleware: TusResumableMiddleware()))

    let pages = router.group(context: SignedInPageContext.self)
    AccountPageController(accounts: hub.accounts, renderer: renderer).addRoutes(public: router, signedIn: pages)
    PageController(
        videos: hub.videos, accounts: hub.accounts, notepad: hub.notepad, peerVideos: hub.peerVideos, maxUploadBytes: configuration.maxUploadBytes,
        renderer: renderer
    ).addRoutes(to: pages)
    NotePageController(notepad: hub.notepad, videos: hub.videos, renderer: renderer).addRoutes(to: pages)
    OperationsPageController(operations: hub.operations, storageReport: hub.storageReport, renderer: renderer).addRoutes(to: pages)
    PeerPageController(network: hub.network, peerVideos: hub.peerVideos, notepad: hub.notepad, clock: hub.dependencies.clock, renderer: renderer).addRoutes(to: pages)
    // Last, so it sees every route and wraps only the requests none of them matched.
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return router
}

/// Shuts the dependencies down once the application stops.
struct DependencyShutdown: Service {
    let dependencies: HubDependencies

    func run() async throws {
        // Returns when shutdown begins, or throws when the group is cancelled: either way, stop.
        try? await gracefulShutdown()
        await dependencies.shutdown()
    }
}
