import HubCore
import HubMedia
import HubNotes
import HubSync
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the hub's HTTP application from an environment. `streamhub serve` and the tests call
/// this same function; there is no second way to assemble the app.
public func buildApplication(_ environment: HubEnvironment) -> some ApplicationProtocol {
    let configuration = environment.configuration
    var services: [any Service] = [environment.uploads.expiryService(logger: environment.logger)] + environment.notepad.services()
    if let network = environment.network {
        // The peer listener and the peer network's loops live and stop with the web server.
        services.append(buildPeerListener(network, host: configuration.host, timeouts: configuration.timeouts, logger: environment.logger))
        services += network.services()
    }
    return Application(
        router: buildRouter(environment),
        server: .guardedHTTP1(timeouts: configuration.timeouts),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "streamhub"),
        services: services,
        logger: environment.logger)
}

/// All routes: the JSON API under `/api/v1`, the operational probes, and the web pages.
///
/// Access is decided in two layers, each in one place: `AuthenticationMiddleware` establishes
/// who is asking (and stops forged cross-site requests); the `SignedInContext` and
/// `SignedInPageContext` groups admit only signed-in users; inside, `AccessPolicy` decides what
/// each user may see and change.
public func buildRouter(_ environment: HubEnvironment) -> Router<HubRequestContext> {
    let router = Router(context: HubRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: RequestBodyLimitMiddleware(limits: RequestBodyLimits(environment.configuration)))
    router.add(middleware: AuthenticationMiddleware(accounts: environment.accounts, trustProxy: environment.configuration.trustProxy))

    HealthController(environment: environment).addRoutes(to: router)
    StaticAssetController().addRoutes(to: router)

    let api = router.group("api/v1")
    let signedInAPI = api.group(context: SignedInContext.self)
    SessionController(environment: environment).addRoutes(public: api, signedIn: signedInAPI)
    TokenController(environment: environment).addRoutes(to: signedInAPI)
    UserAdminController(environment: environment).addRoutes(to: signedInAPI)
    VideoController(environment: environment).addRoutes(to: signedInAPI)
    StreamController(environment: environment).addRoutes(to: signedInAPI)
    NoteController(environment: environment).addRoutes(to: signedInAPI)
    PeerController(environment: environment).addRoutes(to: signedInAPI)
    UploadController(environment: environment).addRoutes(to: signedInAPI.group().add(middleware: TusResumableMiddleware()))

    let renderer = PageRenderer()
    let pages = router.group(context: SignedInPageContext.self)
    AccountPageController(environment: environment, renderer: renderer).addRoutes(public: router, signedIn: pages)
    PageController(environment: environment, renderer: renderer).addRoutes(to: pages)
    NotePageController(environment: environment, renderer: renderer).addRoutes(to: pages)
    PeerPageController(environment: environment, renderer: renderer).addRoutes(to: pages)
    return router
}
