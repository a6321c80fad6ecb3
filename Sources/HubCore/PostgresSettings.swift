import Configuration
import Foundation

/// Where a PostgreSQL database is and how to reach it: `DATABASE_URL=postgres://user:password@host:port/database`
/// (`postgresql://` too; `?sslmode=require` or `verify-full` asks for TLS) and
/// `DATABASE_POOL_SIZE`, the most connections one instance opens.
public struct PostgresSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum TLS: String, Sendable, Equatable {
        /// `sslmode=disable`, and the default on loopback.
        case disable
        /// `sslmode=prefer` (the default elsewhere): TLS when the server offers it.
        case prefer
        /// `sslmode=require`: TLS or no connection, the certificate not checked.
        case require
        /// `sslmode=verify-full`: TLS with the server's certificate and name checked.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLS
    public var poolSize: Int

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String, tls: TLS = .disable, poolSize: Int = 10) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
        self.poolSize = poolSize
    }

    /// The URL without its password: what may appear in a log or an error.
    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue) (pool of \(poolSize))"
    }

    public var debugDescription: String { description }

    /// A PostgreSQL URL read as `DATABASE_URL` would be, for settings named otherwise (`database
    /// migrate --to`): a problem is reported against `setting`.
    public init(url: String, setting: String) throws(ConfigurationError) {
        let reader = SettingsReader(ConfigReader(provider: InMemoryProvider(values: ["database.url": .init(.string(url), isSecret: true)])))
        let parsed: PostgresSettings?
        do {
            parsed = try PostgresSettings(reading: reader.scoped("database"))
        } catch {
            throw ConfigurationError(setting: setting, problem: error.problem)
        }
        guard let parsed else {
            throw ConfigurationError(setting: setting, problem: "must name a PostgreSQL database: postgres://user:password@host:5432/database")
        }
        self = parsed
    }

    /// Nil when `url` is unset or names SQLite; an error naming `DATABASE_URL` when it names
    /// PostgreSQL but does not say where, or names anything else.
    init?(reading database: SettingsReader) throws(ConfigurationError) {
        guard let raw = database.string("url", secret: true), !raw.hasPrefix("sqlite:") else { return nil }
        let shape = "must look like postgres://user:password@host:5432/database"
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased() else {
            throw database.problem("url", shape)
        }
        guard ["postgres", "postgresql"].contains(scheme) else {
            throw database.problem("url", "'\(scheme)' databases are not supported; use postgres://… or leave it unset for SQLite in HUB_DATA_DIR")
        }
        guard let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty else { throw database.problem("url", shape) }
        let name = String(url.path.drop { $0 == "/" })
        guard !name.isEmpty, !name.contains("/") else { throw database.problem("url", "names no database: \(shape)") }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value
        let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1"
        guard let tls = mode.map({ TLS(rawValue: $0) }) ?? (loopback ? .disable : .prefer) else {
            throw database.problem("url", "has sslmode=\(mode ?? ""); use disable, prefer, require or verify-full")
        }
        self.init(
            host: host, port: url.port ?? 5432, user: user.removingPercentEncoding ?? user,
            password: url.password.map { $0.removingPercentEncoding ?? $0 }, database: name, tls: tls,
            poolSize: try database.integer("pool.size", in: 1...1_000, "must be from 1 to 1000") ?? 10)
    }
}
