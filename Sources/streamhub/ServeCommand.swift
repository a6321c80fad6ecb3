import ArgumentParser
import Foundation
import HubCore
import HubSystem
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
        let configuration = await options.configuration(flags: [
            "hub.host": host, "hub.port": port.map(String.init), "upload.dir": uploadDir,
            "storage.backend": storageBackend, "max.upload.bytes": maxUploadBytes.map(String.init), "log.level": logLevel,
        ])
        var logger = Logger(label: "streamhub", factory: EscapingLogHandler.standardError)
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let hub: HubServices
        do {
            hub = try await HubServices.live(configuration, logger: logger)
        } catch {
            HubOptions.fail(error)
        }
        // SIGTERM/SIGINT start a graceful shutdown: no new connections, in-flight requests finish.
        // After the grace period they are cancelled; an upload cut off that way keeps its last
        // durable offset and resumes from there.
        var group = ServiceGroupConfiguration(
            services: [buildApplication(hub)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds)
        do {
            try await ServiceGroup(configuration: group).run()
        } catch let error as ConfigurationError {
            // A start-up check failed (the store, or where the database says the videos are).
            HubOptions.fail(error)
        }
    }
}
