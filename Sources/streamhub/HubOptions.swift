import ArgumentParser
import Configuration
import Foundation
import HubAccounts
import HubCore
import HubDatabase
import HubNotes
import HubSystem
import HubWeb
import Logging
import SystemPackage

/// The options every command that works on a hub's own data shares, and how they become a
/// `HubConfiguration`: flags win over the environment, which wins over `.env`.
struct HubOptions: ParsableArguments {
    @Option(help: "Directory for the metadata database (HUB_DATA_DIR).") var dataDir: String?
    @Option(help: "The .env file to read.") var envFile: String = ".env"

    /// Reads and validates the configuration; bad configuration ends the process with one line
    /// naming the setting (exit 78, EX_CONFIG).
    func configuration(flags extra: [String: String?] = [:]) async -> HubConfiguration {
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in extra.merging(["hub.data.dir": dataDir], uniquingKeysWith: { first, _ in first }) {
            if let value { flags[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(.string(value), isSecret: false) }
        }
        do {
            let dotEnv = try await EnvironmentVariablesProvider(environmentFilePath: .init(envFile), allowMissing: true)
            return try HubConfiguration(reader: ConfigReader(providers: [
                InMemoryProvider(name: "flags", values: flags), EnvironmentVariablesProvider(), dotEnv,
            ]))
        } catch let error as ConfigurationError {
            Self.fail(error)
        } catch {
            Self.fail(ConfigurationError(setting: envFile, problem: "cannot be read: \(error)"))
        }
    }

    /// This hub's services over its own data, built as `serve` builds them, for the commands
    /// that work on the data directly (`user`, `token`, `notes export|import`). What they open
    /// is released when `body` returns.
    func withServices<T: Sendable>(_ body: @escaping @Sendable (HubServices) async throws -> T) async throws -> T {
        let configuration = await configuration()
        var logger = Logger(label: "streamhub", factory: EscapingLogHandler.standardError)
        logger.logLevel = .warning
        let hub: HubServices
        do {
            hub = try await HubServices.live(configuration, logger: logger)
        } catch {
            Self.fail(error)
        }
        do {
            let result = try await hub.dependencies.database.withReady(prepare: false) { try await body(hub) }
            await hub.dependencies.shutdown()
            return result
        } catch let error as ConfigurationError {
            await hub.dependencies.shutdown()
            Self.fail(error)
        } catch {
            await hub.dependencies.shutdown()
            throw error
        }
    }

    /// Runs `body` on this hub's database (created if it is not there yet), ready to use.
    func withDatabase<T: Sendable>(
        _ configuration: HubConfiguration, _ body: @escaping @Sendable (MetadataDatabase) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "streamhub", factory: EscapingLogHandler.standardError)
        logger.logLevel = .warning
        do {
            let database = try MetadataDatabase.open(configuration, logger: logger)
            return try await database.withReady { try await body(database) }
        } catch let error as ConfigurationError {
            Self.fail(error)
        }
    }

    static func fail(_ error: ConfigurationError) -> Never {
        FileHandle.standardError.write(Data("streamhub: \(error)\n".utf8))
        Foundation.exit(78)
    }
}
