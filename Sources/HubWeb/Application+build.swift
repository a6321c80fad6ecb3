import HubCore
import HubMedia
import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the hub's HTTP application from an environment. `streamhub serve` and the tests call
/// this same function; there is no second way to assemble the app.
public func buildApplication(_ environment: HubEnvironment) -> some ApplicationProtocol {
    let configuration = environment.configuration
    return Application(
        router: buildRouter(environment),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "streamhub"),
        services: [UploadExpiryService(uploads: environment.uploads, logger: environment.logger)],
        logger: environment.logger)
}

/// All routes: the JSON API under `/api/v1`, the operational probes, and the web pages.
public func buildRouter(_ environment: HubEnvironment) -> Router<HubRequestContext> {
    let router = Router(context: HubRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: LogRequestsMiddleware(.info))
    router.add(middleware: ErrorMiddleware())

    HealthController(environment: environment).addRoutes(to: router)
    let api = router.group("api/v1")
    VideoController(environment: environment).addRoutes(to: api)
    StreamController(environment: environment).addRoutes(to: api)
    UploadController(environment: environment).addRoutes(to: api.group().add(middleware: TusResumableMiddleware()))
    PageController(environment: environment).addRoutes(to: router)
    return router
}
