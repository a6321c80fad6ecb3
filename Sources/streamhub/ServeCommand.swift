import ArgumentParser
import AsyncHTTPClient
import Foundation
import HubCore
import HubMedia
import HubStorage
import HubWeb
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals
import SystemPackage

/// `streamhub serve`: reads the configuration, builds the application, runs it until SIGINT or
/// SIGTERM. Flags override the environment, which overrides `.env`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the hub (web UI and API).")

    @Option(help: "Address to listen on (HUB_HOST).") var host: String?
    @Option(help: "Port to listen on (HUB_PORT).") var port: Int?
    @Option(help: "Directory for stored videos (UPLOAD_DIR).") var uploadDir: String?
    @Option(help: "Storage backend, local or s3 (STORAGE_BACKEND).") var storageBackend: String?
    @Option(help: "Largest accepted upload in bytes (MAX_UPLOAD_BYTES).") var maxUploadBytes: Int64?
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String?
    @OptionGroup var options: HubOptions

    func run() async throws {
        MemoryTuning.apply()
        let configuration = await options.configuration(flags: [
            "hub.host": host, "hub.port": port.map(String.init), "upload.dir": uploadDir,
            "storage.backend": storageBackend, "max.upload.bytes": maxUploadBytes.map(String.init), "log.level": logLevel,
        ])
        var logger = Logger(label: "streamhub", factory: EscapingLogHandler.standardError)
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let http = StorageFactory.makeHTTPClient()
        let environment: HubEnvironment
        do {
            environment = try HubEnvironment(
                configuration: configuration, media: MediaTools.detect(), httpClient: http, logger: logger)
            try await StorageFactory.checkAtStartUp(environment.store, configuration: configuration)
            try await environment.verifyStorageLocation()
        } catch let error as ConfigurationError {
            HubOptions.fail(error)
        }
        // SIGTERM/SIGINT start a graceful shutdown: no new connections, in-flight requests finish.
        // After the grace period they are cancelled; an upload cut off that way keeps its last
        // durable offset and resumes from there.
        var group = ServiceGroupConfiguration(
            services: [buildApplication(environment)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}
