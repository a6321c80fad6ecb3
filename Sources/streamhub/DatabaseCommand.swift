import ArgumentParser
import Foundation
import HubCore
import HubDatabase
import HubDatabaseMigration
import HubPostgres
import HubSystem
import Logging

/// `streamhub database …`: operations on where the hub keeps its metadata.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database", abstract: "Work with the hub's metadata database.", subcommands: [Migrate.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the hub's SQLite database into PostgreSQL, verified.",
            discussion: """
                Copies every table of the SQLite database in HUB_DATA_DIR (or DATABASE_URL=sqlite:PATH) into the \
                empty PostgreSQL database named by --to, creating its schema, then compares both sides table by \
                table (row counts and a SHA-256 of every row). Interrupted, run it again: it resumes, copying nothing \
                twice. Stop the hub first. Afterwards start the hub with DATABASE_URL set to the same URL.
                """)

        @Option(help: "The PostgreSQL database to copy into: postgres://user:password@host:5432/database.") var to: String
        @OptionGroup var options: HubOptions

        func run() async throws {
            let configuration = await options.configuration()
            let settings: PostgresSettings
            do {
                settings = try PostgresSettings(url: to, setting: "--to")
            } catch {
                HubOptions.fail(error)
            }
            let path = configuration.sqlitePath
            guard FileManager.default.fileExists(atPath: path) else {
                HubOptions.fail(ConfigurationError(setting: "HUB_DATA_DIR", problem: "holds no SQLite database to copy (\(path) does not exist)"))
            }
            var logger = Logger(label: "streamhub", factory: EscapingLogHandler.standardError)
            logger.logLevel = .warning
            let source: HubDatabase
            do {
                source = try HubDatabase.open(path: path)
            } catch {
                HubOptions.fail(ConfigurationError(setting: "HUB_DATA_DIR", problem: "holds no usable database at \(path): \(error)"))
            }
            let target = HubPostgresDatabase(settings, logger: logger)
            do {
                try await target.prepare()
            } catch {
                HubOptions.fail(ConfigurationError(setting: "--to", problem: error.problem))
            }
            let started = ContinuousClock.now
            let migration = SQLiteToPostgres(
                source: source.writer, sourceName: path, nodeID: try NodeID.load(dataDirectory: configuration.dataDirectory), target: target,
                logger: logger)
            let reports: [SQLiteToPostgres.TableReport]
            do {
                reports = try await withThrowingTaskGroup(of: [SQLiteToPostgres.TableReport]?.self) { group in
                    group.addTask {
                        await target.run()
                        return nil
                    }
                    defer { group.cancelAll() }
                    return try await migration.run { report in print("\(report.table): \(report.rows) rows copied") }
                }
            } catch {
                throw Failure.report("migration stopped: \(error). Run the same command again to resume.")
            }
            let seconds = (ContinuousClock.now - started).components.seconds
            let rows = reports.reduce(0) { $0 + $1.rows }
            print("Copied \(rows) rows in \(reports.count) tables in \(seconds) s; every table verified (row counts and SHA-256 of every row).")
            print("Now start the hub with DATABASE_URL set to the same URL.")
        }
    }
}
