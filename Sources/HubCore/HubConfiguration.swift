import Configuration
import Foundation

/// Every setting of a hub, read once at start-up from flags, environment and `.env` (in that
/// order of precedence, which the `ConfigReader`'s provider order expresses) and validated here, so
/// a bad value stops the hub with one line naming the setting instead of failing later.
///
/// The names are DESIGN.md's; a setting's config key is its environment name in lowercase with
/// dots (`HUB_DATA_DIR` ↔ `hub.data.dir`), which is how `EnvironmentVariablesProvider` maps them.
public struct HubConfiguration: Sendable {
    public enum StorageBackend: String, Sendable { case local, s3 }

    public struct S3Settings: Sendable {
        public var bucket: String
        public var region: String
        public var accessKey: String?
        public var secretKey: String?
        public var endpoint: String?
    }

    public struct PeerSettings: Sendable {
        public var enabled: Bool
        public var port: Int
        public var nodeName: String
        /// `P2P_PEERS`: the peers to start from.
        public var seeds: [PeerAddress]
        public var secret: String?
        /// How many peers each gossip round sends new changes to (`P2P_FANOUT`).
        public var fanout: Int
        /// How often new changes are sent, batched (`P2P_GOSSIP_INTERVAL_MS`): the guide's
        /// "limit sync frequency".
        public var gossipInterval: Duration
        /// How often a random peer's digest is compared to repair gaps (`P2P_ANTI_ENTROPY_INTERVAL_MS`).
        public var antiEntropyInterval: Duration
        /// Announce and browse `_streamhub._tcp.local.` by multicast DNS (`P2P_MDNS`).
        public var multicastDNS: Bool
    }

    /// How long a connection may keep the hub waiting, on the web and the peer port alike: a
    /// client that stops sending is closed after these, so it holds no socket, memory or upload
    /// lock for ever.
    public struct ConnectionTimeouts: Sendable, Equatable {
        /// From a request's first byte to the end of its headers (`HTTP_HEADER_TIMEOUT_SECONDS`).
        public var header: Duration
        /// Between two reads of a request body (`HTTP_BODY_TIMEOUT_SECONDS`): a stalled upload's
        /// PATCH ends after this, which releases its lock so the client can resume. A response
        /// the client stops reading gets twice as long.
        public var body: Duration
        /// A kept-alive connection with no request (`HTTP_IDLE_TIMEOUT_SECONDS`).
        public var idle: Duration

        public init(header: Duration = .seconds(10), body: Duration = .seconds(30), idle: Duration = .seconds(60)) {
            self.header = header
            self.body = body
            self.idle = idle
        }
    }

    public var storageBackend: StorageBackend
    public var uploadDirectory: String
    public var s3: S3Settings?
    public var notepadStoragePath: String
    public var peers: PeerSettings
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var databaseURL: String?
    public var secretKey: String?
    public var maxUploadBytes: Int64
    public var cacheDirectory: String?
    public var cacheMaxBytes: Int64?
    public var streamRedirect: String?
    /// How long an unfinished tus upload is kept after its last write (tus expiration extension).
    public var uploadExpirySeconds: Int
    /// How long in-flight requests may run after SIGTERM before they are cancelled.
    public var shutdownGraceSeconds: Int
    public var logLevel: String
    /// bcrypt's work factor (log2 rounds) for new password hashes; chosen so a login takes
    /// 50–250 ms on a small server (see `scripts/bench/auth.py`).
    public var bcryptCost: Int
    /// How long a sign-in lasts.
    public var sessionLifetimeSeconds: Int
    /// Behind a reverse proxy: take the client address from `X-Forwarded-For` and TLS from
    /// `X-Forwarded-Proto`. Off by default, because a client could forge them.
    public var trustProxy: Bool
    /// The largest note content accepted, in bytes (`NOTE_MAX_BYTES`).
    public var noteMaxBytes: Int
    public var timeouts: ConnectionTimeouts

    public static let defaultBcryptCost = 10

    public static let defaultMaxUploadBytes: Int64 = 21_474_836_480

    public init(reader: ConfigReader) throws(ConfigurationError) {
        let settings = Settings(reader: reader)
        let backend = settings.string("storage.backend") ?? "local"
        guard let storageBackend = StorageBackend(rawValue: backend.lowercased()) else {
            throw ConfigurationError(setting: "STORAGE_BACKEND", problem: "must be 'local' or 's3', got '\(backend)'")
        }
        self.storageBackend = storageBackend
        self.uploadDirectory = settings.string("upload.dir") ?? "./uploads"
        // Read whenever a bucket is named, not only with STORAGE_BACKEND=s3: `storage migrate`
        // copies to S3 from a hub still running on local disk.
        if let bucket = settings.string("aws.s3.bucket") {
            self.s3 = S3Settings(
                bucket: bucket,
                region: settings.string("aws.region") ?? "us-east-1",
                accessKey: settings.string("aws.access.key") ?? settings.string("aws.access.key.id"),
                secretKey: settings.string("aws.secret.key", secret: true)
                    ?? settings.string("aws.secret.access.key", secret: true),
                endpoint: settings.string("aws.s3.endpoint")
            )
        } else if storageBackend == .s3 {
            throw ConfigurationError(setting: "AWS_S3_BUCKET", problem: "is required when STORAGE_BACKEND=s3")
        } else {
            self.s3 = nil
        }
        self.notepadStoragePath = settings.string("notepad.storage.path") ?? "./community_notes"
        // The host's short name: an FQDN's dots cannot be in an mDNS instance name.
        let hostname = String(ProcessInfo.processInfo.hostName.prefix { $0 != "." }.prefix(40))
        self.peers = PeerSettings(
            enabled: try settings.bool("p2p.enabled", env: "P2P_ENABLED") ?? false,
            port: try settings.port("p2p.port", env: "P2P_PORT") ?? 6881,
            nodeName: settings.string("p2p.node.name") ?? "stream-hub-\(hostname)",
            seeds: try Self.peerAddresses(settings.string("p2p.peers") ?? ""),
            secret: settings.string("p2p.secret", secret: true),
            fanout: Int(try settings.integer("p2p.fanout", env: "P2P_FANOUT") ?? 3),
            gossipInterval: .milliseconds(try settings.integer("p2p.gossip.interval.ms", env: "P2P_GOSSIP_INTERVAL_MS") ?? 200),
            antiEntropyInterval: .milliseconds(
                try settings.integer("p2p.anti.entropy.interval.ms", env: "P2P_ANTI_ENTROPY_INTERVAL_MS") ?? 2_000),
            multicastDNS: try settings.bool("p2p.mdns", env: "P2P_MDNS") ?? true
        )
        guard (1...64).contains(peers.fanout) else {
            throw ConfigurationError(setting: "P2P_FANOUT", problem: "must be from 1 to 64")
        }
        for (value, name) in [(peers.gossipInterval, "P2P_GOSSIP_INTERVAL_MS"), (peers.antiEntropyInterval, "P2P_ANTI_ENTROPY_INTERVAL_MS")]
        where value < .milliseconds(10) || value > .seconds(3_600) {
            throw ConfigurationError(setting: name, problem: "must be from 10 to 3600000 milliseconds")
        }
        if let secret = peers.secret, secret.utf8.count < 16 {
            throw ConfigurationError(setting: "P2P_SECRET", problem: "must be at least 16 characters (for example: openssl rand -hex 32)")
        }
        guard !peers.nodeName.isEmpty, peers.nodeName.utf8.count <= 63, !peers.nodeName.contains(where: { $0 == "." || $0.isNewline }) else {
            throw ConfigurationError(setting: "P2P_NODE_NAME", problem: "must be 1 to 63 bytes without dots (it is an mDNS instance name)")
        }
        self.host = settings.string("hub.host") ?? "127.0.0.1"
        // Without a secret any host that reaches the peer port could read every shared note and
        // write to all of them; only loopback, which nothing off the machine reaches, may go without.
        if peers.enabled, peers.secret == nil, !(host == "localhost" || host.hasPrefix("127.") || host == "::1") {
            throw ConfigurationError(
                setting: "P2P_SECRET",
                problem: "is required with P2P_ENABLED=true when HUB_HOST (\(host)) is not a loopback address: any machine could join otherwise")
        }
        self.port = try settings.port("hub.port", env: "HUB_PORT") ?? 8080
        if peers.enabled, peers.port == port {
            throw ConfigurationError(setting: "P2P_PORT", problem: "must differ from HUB_PORT (\(port))")
        }
        self.dataDirectory = settings.string("hub.data.dir") ?? "./data"
        self.databaseURL = settings.string("database.url")
        if let url = databaseURL, !url.hasPrefix("sqlite:") {
            throw ConfigurationError(
                setting: "DATABASE_URL",
                problem: "'\(url.split(separator: ":").first ?? "")' databases are not supported yet; leave it unset for SQLite in HUB_DATA_DIR")
        }
        self.secretKey = settings.string("hub.secret.key", secret: true)
        if let key = secretKey, key.utf8.count < 32 {
            throw ConfigurationError(setting: "HUB_SECRET_KEY", problem: "must be at least 32 characters (for example: openssl rand -hex 32)")
        }
        self.maxUploadBytes = try settings.byteCount("max.upload.bytes", env: "MAX_UPLOAD_BYTES") ?? Self.defaultMaxUploadBytes
        self.cacheDirectory = settings.string("cache.dir")
        self.cacheMaxBytes = try settings.byteCount("cache.max.bytes", env: "CACHE_MAX_BYTES")
        self.streamRedirect = settings.string("stream.redirect")
        if let redirect = streamRedirect, redirect != "presigned" {
            throw ConfigurationError(setting: "STREAM_REDIRECT", problem: "must be 'presigned' or unset, got '\(redirect)'")
        }
        if streamRedirect != nil, storageBackend != .s3 {
            throw ConfigurationError(setting: "STREAM_REDIRECT", problem: "redirects to S3 and needs STORAGE_BACKEND=s3")
        }
        let expiry = try settings.integer("upload.expiry.seconds", env: "UPLOAD_EXPIRY_SECONDS") ?? 86_400
        guard expiry > 0 else {
            throw ConfigurationError(setting: "UPLOAD_EXPIRY_SECONDS", problem: "must be a positive number of seconds")
        }
        self.uploadExpirySeconds = Int(expiry)
        let grace = try settings.integer("shutdown.grace.seconds", env: "SHUTDOWN_GRACE_SECONDS") ?? 30
        guard grace >= 0 else {
            throw ConfigurationError(setting: "SHUTDOWN_GRACE_SECONDS", problem: "must be zero or a positive number of seconds")
        }
        self.shutdownGraceSeconds = Int(grace)
        let cost = try settings.integer("bcrypt.cost", env: "BCRYPT_COST") ?? Int64(Self.defaultBcryptCost)
        guard (4...31).contains(cost) else {
            throw ConfigurationError(setting: "BCRYPT_COST", problem: "must be from 4 to 31")
        }
        self.bcryptCost = Int(cost)
        let lifetime = try settings.integer("session.lifetime.seconds", env: "SESSION_LIFETIME_SECONDS") ?? 7 * 86_400
        guard lifetime >= 60 else {
            throw ConfigurationError(setting: "SESSION_LIFETIME_SECONDS", problem: "must be at least 60 seconds")
        }
        self.sessionLifetimeSeconds = Int(lifetime)
        self.trustProxy = try settings.bool("hub.trust.proxy", env: "HUB_TRUST_PROXY") ?? false
        let noteMaxBytes = try settings.byteCount("note.max.bytes", env: "NOTE_MAX_BYTES") ?? Int64(NoteLimits.defaultContentBytes)
        guard noteMaxBytes <= 64 << 20 else {
            throw ConfigurationError(setting: "NOTE_MAX_BYTES", problem: "must be at most 67108864 (64 MiB)")
        }
        self.noteMaxBytes = Int(noteMaxBytes)
        var timeouts = ConnectionTimeouts()
        for (setting, env, path) in [
            ("http.header.timeout.seconds", "HTTP_HEADER_TIMEOUT_SECONDS", \ConnectionTimeouts.header),
            ("http.body.timeout.seconds", "HTTP_BODY_TIMEOUT_SECONDS", \ConnectionTimeouts.body),
            ("http.idle.timeout.seconds", "HTTP_IDLE_TIMEOUT_SECONDS", \ConnectionTimeouts.idle),
        ] {
            guard let seconds = try settings.integer(setting, env: env) else { continue }
            guard (1...3_600).contains(seconds) else { throw ConfigurationError(setting: env, problem: "must be from 1 to 3600 seconds") }
            timeouts[keyPath: path] = .seconds(seconds)
        }
        self.timeouts = timeouts
        self.logLevel = settings.string("log.level") ?? "info"
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError(setting: "LOG_LEVEL", problem: "must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The SQLite database file used when `DATABASE_URL` is unset.
    /// `host:port, host:port`, each checked.
    static func peerAddresses(_ list: String) throws(ConfigurationError) -> [PeerAddress] {
        var addresses: [PeerAddress] = []
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let address = PeerAddress(item) else {
                throw ConfigurationError(setting: "P2P_PEERS", problem: "'\(item)' is not host:port")
            }
            addresses.append(address)
        }
        return addresses
    }

    public var sqlitePath: String {
        if let url = databaseURL, url.hasPrefix("sqlite:") {
            return String(url.dropFirst("sqlite:".count))
        }
        return (dataDirectory as NSString).appendingPathComponent("streamhub.sqlite")
    }
}

/// Reads raw strings and turns them into typed values with errors that name the setting. Parsing
/// here rather than through `ConfigReader.int(forKey:)` is deliberate: that returns nil for
/// "abc", and a typo must not silently become the default.
private struct Settings {
    let reader: ConfigReader

    func string(_ key: String, secret: Bool = false) -> String? {
        guard let value = reader.string(forKey: ConfigKey(key), isSecret: secret)?
            .trimmingCharacters(in: .whitespaces), !value.isEmpty
        else { return nil }
        return value
    }

    func integer(_ key: String, env: String) throws(ConfigurationError) -> Int64? {
        guard let raw = string(key) else { return nil }
        guard let value = Int64(raw) else {
            throw ConfigurationError(setting: env, problem: "must be a whole number, got '\(raw)'")
        }
        return value
    }

    func port(_ key: String, env: String) throws(ConfigurationError) -> Int? {
        guard let raw = string(key) else { return nil }
        guard let value = Int(raw), (0...65_535).contains(value) else {
            throw ConfigurationError(setting: env, problem: "must be a port number (0-65535), got '\(raw)'")
        }
        return value
    }

    func byteCount(_ key: String, env: String) throws(ConfigurationError) -> Int64? {
        guard let value = try integer(key, env: env) else { return nil }
        guard value > 0 else { throw ConfigurationError(setting: env, problem: "must be a positive number of bytes") }
        return value
    }

    func bool(_ key: String, env: String) throws(ConfigurationError) -> Bool? {
        guard let raw = string(key) else { return nil }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigurationError(setting: env, problem: "must be true or false, got '\(raw)'")
        }
    }
}
