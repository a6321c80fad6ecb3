import ArgumentParser
import Configuration
import Foundation
import HubCore
import HubDatabase
import HubNotes
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

    /// The account rules over this hub's database, for the `user` and `token` commands.
    func accountService() async -> AccountService {
        let configuration = await configuration()
        var logger = Logger(label: "streamhub", factory: EscapingLogHandler.standardError)
        logger.logLevel = .warning
        do {
            return try AccountService(
                configuration: configuration, accounts: await database(configuration).accounts, clock: SystemWallClock(), logger: logger)
        } catch {
            Self.fail(error)
        }
    }

    /// The notepad over this hub's data, for `notes export` and `import`.
    func notepad() async -> NotepadService {
        let configuration = await configuration()
        var logger = Logger(label: "streamhub", factory: EscapingLogHandler.standardError)
        logger.logLevel = .warning
        let database = await database(configuration)
        do {
            return NotepadService(
                notes: database.notes, analytics: database.noteAnalytics,
                mirror: try NoteMirror(directory: configuration.notepadStoragePath, logger: logger),
                node: NodeIdentity(id: try NodeID.load(dataDirectory: configuration.dataDirectory), name: configuration.peers.nodeName),
                clock: SystemWallClock(), maxContentBytes: configuration.noteMaxBytes, logger: logger)
        } catch {
            Self.fail(error)
        }
    }

    /// This hub's database, created if it is not there yet.
    func database(_ configuration: HubConfiguration? = nil) async -> HubDatabase {
        let configuration = if let configuration { configuration } else { await self.configuration() }
        do {
            try PosixPath.createDirectories(configuration.dataDirectory)
            return try HubDatabase.open(path: configuration.sqlitePath)
        } catch {
            Self.fail(ConfigurationError(setting: "HUB_DATA_DIR", problem: "holds no usable database at \(configuration.sqlitePath): \(error)"))
        }
    }

    static func fail(_ error: ConfigurationError) -> Never {
        FileHandle.standardError.write(Data("streamhub: \(error)\n".utf8))
        Foundation.exit(78)
    }
}
