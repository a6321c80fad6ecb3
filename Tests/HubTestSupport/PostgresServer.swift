import Foundation
import HubCore
import HubPostgres
import Logging
import PostgresNIO

/// A real PostgreSQL server for the tests (Debian's, which `scripts/setup.sh --test` installs):
/// a throwaway cluster on a free loopback port, trusting local connections, started once per
/// test process and stopped when the process exits. Each test gets a database of its own.
public final class PostgresServer: Sendable {
    public static let shared: PostgresServer? = try? PostgresServer()

    public let port: Int
    let directory: String

    private static let binaries = "/usr/lib/postgresql/15/bin"

    private init() throws {
        Self.removeClustersOfEndedProcesses()
        directory = NSTemporaryDirectory() + "streamhub-postgres-\(getpid())"
        port = Int.random(in: 20_000...60_000)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // initdb refuses root: the cluster belongs to the `postgres` account.
        try Self.run("/bin/chown", ["postgres:postgres", directory])
        try Self.asPostgres(
            "initdb", ["-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        // The server runs as this process's child (pg_ctl would daemonise it), its output in a
        // file; ready when it accepts connections.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
        server.arguments = [
            "-u", "postgres", "--", "\(Self.binaries)/postgres", "-D", "\(directory)/data",
            "-c", "listen_addresses=127.0.0.1", "-p", String(port), "-k", directory, "-c", "fsync=off",
        ]
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? Self.asPostgres("pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port)])) != nil
            if !ready { Thread.sleep(forTimeInterval: 0.1) }
        }
        guard ready else { throw ConfigurationError(setting: "PostgreSQL", problem: "the test server did not start within 10 s") }
        // `shared` is never deinitialised: a shell stops the server once this process is gone.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        watcher.arguments = [
            "-c",
            "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; "
                + "kill -9 \(server.processIdentifier); pkill -9 -f 'postgres -D \(directory)/data'; "
                + "while pgrep -f 'postgres -D \(directory)/data' >/dev/null; do sleep 0.2; done; rm -rf \(directory)",
        ]
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
    }

    /// A test process that ends is often killed with its whole process group, the watcher
    /// included, so its cluster's directory may stay behind: the next test process removes it.
    private static func removeClustersOfEndedProcesses() {
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("streamhub-postgres-") {
            guard let pid = Int32(name.dropFirst("streamhub-postgres-".count)), kill(pid, 0) != 0 else { continue }
            try? FileManager.default.removeItem(atPath: temporary + name)
        }
    }

    /// A new, empty database on this server.
    public func makeDatabase(poolSize: Int = 4) throws -> PostgresSettings {
        let name = "hub_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try Self.asPostgres("createdb", ["-h", "127.0.0.1", "-p", String(port), name])
        return PostgresSettings(host: "127.0.0.1", port: port, user: "postgres", password: nil, database: name, tls: .disable, poolSize: poolSize)
    }

    private static func asPostgres(_ tool: String, _ arguments: [String]) throws {
        try run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(tool)"] + arguments)
    }

    private static func run(_ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ConfigurationError(setting: "PostgreSQL", problem: "\(path) \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }
}

/// Runs `body` with a migrated database on the shared server, its pool running beside it.
public func withPostgres<T: Sendable>(
    poolSize: Int = 4, _ body: @Sendable (HubPostgresDatabase, PostgresSettings) async throws -> T
) async throws -> T {
    guard let server = PostgresServer.shared else {
        throw ConfigurationError(setting: "PostgreSQL", problem: "the test server could not start (is Debian's postgresql installed?)")
    }
    let settings = try server.makeDatabase(poolSize: poolSize)
    // The pool warns when a query is queued before its run() task has started, which the
    // tests do on purpose: they start both at once.
    return try await withClient(HubPostgresDatabase(settings, logger: .quiet("postgres-test"))) { database in
        try await database.migrate()
        return try await body(database, settings)
    }
}

/// Runs `body` while `database`'s pool runs.
public func withClient<T: Sendable>(_ database: HubPostgresDatabase, _ body: @Sendable (HubPostgresDatabase) async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await database.client.run()
            return nil
        }
        defer { group.cancelAll() }
        return try await body(database)
    }
}
