import ArgumentParser
import Configuration
import Foundation
import HubCore
import HubMedia
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
    @Option(help: "Directory for the metadata database (HUB_DATA_DIR).") var dataDir: String?
    @Option(help: "Directory for stored videos (UPLOAD_DIR).") var uploadDir: String?
    @Option(help: "Storage backend, local or s3 (STORAGE_BACKEND).") var storageBackend: String?
    @Option(help: "Largest accepted upload in bytes (MAX_UPLOAD_BYTES).") var maxUploadBytes: Int64?
    @Option(help: "Log level (LOG_LEVEL).") var logLevel: String?
    @Option(help: "The .env file to read.") var envFile: String = ".env"

    func run() async throws {
        MemoryTuning.apply()
        let configuration: HubConfiguration
        do {
            configuration = try await HubConfiguration(reader: reader())
        } catch let error as ConfigurationError {
            Self.fail(error)
        }
        var logger = Logger(label: "streamhub")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let environment: HubEnvironment
        do {
            environment = try HubEnvironment(configuration: configuration, media: MediaTools.detect(), logger: logger)
        } catch let error as ConfigurationError {
            Self.fail(error)
        }
        // SIGTERM/SIGINT start a graceful shutdown: no new connections, in-flight requests finish.
        // After the grace period they are cancelled; an upload cut off that way keeps its last
        // durable offset and resumes from there.
        var group = ServiceGroupConfiguration(
            services: [buildApplication(environment)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = .seconds(configuration.shutdownGraceSeconds)
        try await ServiceGroup(configuration: group).run()
    }

    /// Bad configuration ends the process with one line naming the setting (EX_CONFIG).
    static func fail(_ error: ConfigurationError) -> Never {
        FileHandle.standardError.write(Data("streamhub: \(error)\n".utf8))
        Foundation.exit(78)
    }

    private func reader() async throws -> ConfigReader {
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        func set(_ key: String, _ value: String?) {
            if let value { flags[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(.string(value), isSecret: false) }
        }
        set("hub.host", host)
        set("hub.port", port.map(String.init))
        set("hub.data.dir", dataDir)
        set("upload.dir", uploadDir)
        set("storage.backend", storageBackend)
        set("max.upload.bytes", maxUploadBytes.map(String.init))
        set("log.level", logLevel)
        let dotEnv: EnvironmentVariablesProvider
        do {
            dotEnv = try await EnvironmentVariablesProvider(environmentFilePath: .init(envFile), allowMissing: true)
        } catch {
            Self.fail(ConfigurationError(setting: envFile, problem: "cannot be read: \(error)"))
        }
        return ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: flags),
            EnvironmentVariablesProvider(),
            dotEnv,
        ])
    }
}
