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

        /// Nil when no bucket is named.
        init?(reading aws: SettingsReader) {
            guard let bucket = aws.string("s3.bucket") else { return nil }
            self.bucket = bucket
            region = aws.string("region") ?? "us-east-1"
            accessKey = aws.string("access.key") ?? aws.string("access.key.id")
            secretKey = aws.string("secret.key", secret: true) ?? aws.string("secret.access.key", secret: true)
            endpoint = aws.string("s3.endpoint")
        }
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
        /// How often new changes are sent, batched (`P2P_GOSSIP_INTERVAL_MS`): changes made
        /// within one interval travel in one request.
        public var gossipInterval: Duration
        /// How often a random peer's digest is compared to repair gaps (`P2P_ANTI_ENTROPY_INTERVAL_MS`).
        public var antiEntropyInterval: Duration
        /// Announce and browse `_streamhub._tcp.local.` by multicast DNS (`P2P_MDNS`).
        public var multicastDNS: Bool
        /// Room in the object store for blocks of peers' videos fetched on demand
        /// (`P2P_BLOCK_CACHE_BYTES`); at least one block of the largest size.
        public var blockCacheBytes: Int64
        public static let defaultBlockCacheBytes: Int64 = 4 << 30
        /// How many hubs keep each shared video whole (`P2P_VIDEO_REPLICAS`): its origin and
        /// this many minus one others, chosen by rendezvous hashing over the alive peers.
        public var videoReplicas: Int
        /// The most bytes per second sent to peers as blocks of videos, all transfers together
        /// (`P2P_SEND_BYTES_PER_SECOND`); nil for no cap.
        public var sendBytesPerSecond: Int64?
        /// The lowest cap: the largest block (16 MiB) must reach a peer well within the 10
        /// seconds it waits for an answer, even when two share the rate.
        public static let lowestSendBytesPerSecond: Int64 = 4 << 20

        /// `host` and `webPort` are the web listener's: the peer port must differ, and a hub
        /// reachable from other machines must have a secret.
        init(reading p2p: SettingsReader, host: String, webPort: Int) throws(ConfigurationError) {
            enabled = try p2p.bool("enabled") ?? false
            port = try p2p.port("port") ?? 6881
            // The host's short name: an FQDN's dots cannot be in an mDNS instance name.
            let hostname = String(ProcessInfo.processInfo.hostName.prefix { $0 != "." }.prefix(40))
            nodeName = p2p.string("node.name") ?? "stream-hub-\(hostname)"
            seeds = try HubConfiguration.peerAddresses(p2p.string("peers") ?? "")
            secret = p2p.string("secret", secret: true)
            fanout = try p2p.integer("fanout", in: 1...64, "must be from 1 to 64") ?? 3
            gossipInterval = try p2p.milliseconds("gossip.interval.ms", in: 10...3_600_000) ?? .milliseconds(200)
            antiEntropyInterval = try p2p.milliseconds("anti.entropy.interval.ms", in: 10...3_600_000) ?? .milliseconds(2_000)
            multicastDNS = try p2p.bool("mdns") ?? true
            blockCacheBytes = try p2p.byteCount("block.cache.bytes") ?? Self.defaultBlockCacheBytes
            videoReplicas = try p2p.integer("video.replicas", in: 1...16, "must be from 1 (only the origin) to 16") ?? 2
            sendBytesPerSecond = try p2p.byteCount("send.bytes.per.second")
            if let sendBytesPerSecond, sendBytesPerSecond < Self.lowestSendBytesPerSecond {
                throw p2p.problem(
                    "send.bytes.per.second", "must be at least \(Self.lowestSendBytesPerSecond) (4 MiB/s: a 16 MiB block must reach a peer within seconds)")
            }
            if blockCacheBytes < Int64(BlockManifest.largestBlockSize) {
                throw p2p.problem("block.cache.bytes", "must be at least \(BlockManifest.largestBlockSize) (one block of the largest size, 16 MiB)")
            }
            if let secret, secret.utf8.count < 16 {
                throw p2p.problem("secret", "must be at least 16 characters (for example: openssl rand -hex 32)")
            }
            guard !nodeName.isEmpty, nodeName.utf8.count <= 63, !nodeName.contains(where: { $0 == "." || $0.isNewline }) else {
                throw p2p.problem("node.name", "must be 1 to 63 bytes without dots (it is an mDNS instance name)")
            }
            // Without a secret any host that reaches the peer port could read every shared note
            // and write to all of them; only loopback, which nothing off the machine reaches,
            // may go without.
            if enabled, secret == nil, !(host == "localhost" || host.hasPrefix("127.") || host == "::1") {
                throw p2p.problem(
                    "secret", "is required with P2P_ENABLED=true when HUB_HOST (\(host)) is not a loopback address: any machine could join otherwise")
            }
            if enabled, port == webPort {
                throw p2p.problem("port", "must differ from HUB_PORT (\(webPort))")
            }
        }
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

        init(reading http: SettingsReader) throws(ConfigurationError) {
            self.init()
            for (name, path) in [("header", \ConnectionTimeouts.header), ("body", \ConnectionTimeouts.body), ("idle", \ConnectionTimeouts.idle)] {
                let seconds = try http.integer("\(name).timeout.seconds", in: 1...3_600, "must be from 1 to 3600 seconds")
                if let seconds { self[keyPath: path] = .seconds(seconds) }
            }
        }
    }

    /// What storage and transfer cost, per GB (2^30 bytes, as providers bill), for the
    /// storage report's monthly estimate. The defaults are AWS's list prices the deployment
    /// guide quotes: S3 Standard, transfer out to the internet, CloudFront, Glacier Instant
    /// Retrieval.
    public struct CostRates: Sendable, Equatable {
        /// `COST_STORAGE_PER_GB_MONTH`
        public var storagePerGBMonth: Double = 0.023
        /// `COST_EGRESS_PER_GB`
        public var egressPerGB: Double = 0.09
        /// `COST_CDN_PER_GB`
        public var cdnPerGB: Double = 0.085
        /// `COST_ARCHIVE_PER_GB_MONTH`
        public var archivePerGBMonth: Double = 0.004

        public init() {}

        init(reading cost: SettingsReader) throws(ConfigurationError) {
            let rates: [(String, WritableKeyPath<CostRates, Double>)] = [
                ("storage.per.gb.month", \.storagePerGBMonth), ("egress.per.gb", \.egressPerGB), ("cdn.per.gb", \.cdnPerGB),
                ("archive.per.gb.month", \.archivePerGBMonth),
            ]
            for (name, path) in rates {
                if let rate = try cost.decimal(name, in: 0...1_000) { self[keyPath: path] = rate }
            }
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
    /// `DATABASE_URL=sqlite:path`: the SQLite file, when not the default in `HUB_DATA_DIR`.
    public var sqliteURL: String?
    /// `DATABASE_URL=postgres://…`, parsed and checked; nil for SQLite.
    public var postgres: PostgresSettings?
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
    /// The storage report's prices (`COST_*`).
    public var costs: CostRates
    /// How many processing jobs this instance runs at once (`MEDIA_WORKERS`); 0 leaves the
    /// processing to the other instances on the database.
    public var mediaWorkers: Int
    /// The most working space this instance's processing jobs hold at once under
    /// `UPLOAD_DIR/.processing` (`TRANSCODE_SCRATCH_BYTES`); a job that would pass it waits.
    public var transcodeScratchBytes: Int64
    /// Seconds between two seek preview frames (`PREVIEW_INTERVAL_SECONDS`).
    public var previewIntervalSeconds: Int
    /// The adaptive ladder's rungs, as the frame's shorter side in pixels, ascending
    /// (`TRANSCODE_RESOLUTIONS`, default `360,720,1080`; `none` makes no ladder).
    public var transcodeResolutions: [Int]
    /// A bearer token that may read `GET /metrics` without an account (`METRICS_TOKEN`), so a
    /// Prometheus scraper needs no user; nil leaves `/metrics` to admins.
    public var metricsToken: String?

    public static let defaultBcryptCost = 10
    public static let defaultTranscodeResolutions = [360, 720, 1080]

    /// `360,720,1080`: even sizes from 144 to 4320 (what H.264 encodes and players list), at
    /// most eight, sorted and without repeats.
    static func resolutions(_ raw: String?, settings: SettingsReader) throws(ConfigurationError) -> [Int] {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces) else { return defaultTranscodeResolutions }
        if raw.lowercased() == "none" { return [] }
        var sizes: Set<Int> = []
        for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
            let text = part.trimmingCharacters(in: .whitespaces).lowercased()
            let digits = text.hasSuffix("p") ? String(text.dropLast()) : text
            guard let size = Int(digits), (144...4_320).contains(size), size % 2 == 0 else {
                throw settings.problem(
                    "transcode.resolutions", "must list even frame heights from 144 to 4320, separated by commas (360,720,1080), or none; '\(part)' is not one")
            }
            sizes.insert(size)
        }
        guard sizes.count <= 8 else { throw settings.problem("transcode.resolutions", "lists at most 8 resolutions") }
        return sizes.sorted()
    }
    public static let defaultTranscodeScratchBytes: Int64 = 50 << 30

    public static let defaultMaxUploadBytes: Int64 = 21_474_836_480
    /// S3's largest object (5 TiB). Also what keeps an upload's length, a client's number, far
    /// from `Int64.max` in the arithmetic on it (part sizes, part counts, offsets).
    public static let largestMaxUploadBytes: Int64 = 5 << 40

    public init(reader: ConfigReader) throws(ConfigurationError) {
        let settings = SettingsReader(reader)
        let backend = settings.string("storage.backend") ?? "local"
        guard let storageBackend = StorageBackend(rawValue: backend.lowercased()) else {
            throw settings.problem("storage.backend", "must be 'local' or 's3', got '\(backend)'")
        }
        self.storageBackend = storageBackend
        self.uploadDirectory = settings.string("upload.dir") ?? "./uploads"
        // Read whenever a bucket is named, not only with STORAGE_BACKEND=s3: `storage migrate`
        // copies to S3 from a hub still running on local disk.
        self.s3 = S3Settings(reading: settings.scoped("aws"))
        if s3 == nil, storageBackend == .s3 {
            throw settings.problem("aws.s3.bucket", "is required when STORAGE_BACKEND=s3")
        }
        self.notepadStoragePath = settings.string("notepad.storage.path") ?? "./community_notes"
        self.host = settings.string("hub.host") ?? "127.0.0.1"
        self.port = try settings.port("hub.port") ?? 8080
        self.peers = try PeerSettings(reading: settings.scoped("p2p"), host: host, webPort: port)
        self.dataDirectory = settings.string("hub.data.dir") ?? "./data"
        // Only a SQLite URL is kept as text: a PostgreSQL one carries a password.
        self.sqliteURL = settings.string("database.url").flatMap { $0.hasPrefix("sqlite:") ? $0 : nil }
        self.postgres = try PostgresSettings(reading: settings.scoped("database"))
        self.secretKey = settings.string("hub.secret.key", secret: true)
        if let key = secretKey, key.utf8.count < 32 {
            throw settings.problem("hub.secret.key", "must be at least 32 characters (for example: openssl rand -hex 32)")
        }
        self.maxUploadBytes = try settings.byteCount(
            "max.upload.bytes", atMost: Self.largestMaxUploadBytes, "must be at most 5497558138880 (5 TiB, S3's largest object)"
        ) ?? Self.defaultMaxUploadBytes
        self.cacheDirectory = settings.string("cache.dir")
        self.cacheMaxBytes = try settings.byteCount("cache.max.bytes")
        self.streamRedirect = settings.string("stream.redirect")
        if let redirect = streamRedirect, redirect != "presigned" {
            throw settings.problem("stream.redirect", "must be 'presigned' or unset, got '\(redirect)'")
        }
        if streamRedirect != nil, storageBackend != .s3 {
            throw settings.problem("stream.redirect", "redirects to S3 and needs STORAGE_BACKEND=s3")
        }
        self.uploadExpirySeconds = try settings.integer("upload.expiry.seconds", in: 1...Int64.max, "must be a positive number of seconds") ?? 86_400
        self.shutdownGraceSeconds = try settings.integer("shutdown.grace.seconds", in: 0...Int64.max, "must be zero or a positive number of seconds") ?? 30
        self.bcryptCost = try settings.integer("bcrypt.cost", in: 4...31, "must be from 4 to 31") ?? Self.defaultBcryptCost
        self.sessionLifetimeSeconds = try settings.integer("session.lifetime.seconds", in: 60...Int64.max, "must be at least 60 seconds") ?? 7 * 86_400
        self.trustProxy = try settings.bool("hub.trust.proxy") ?? false
        self.noteMaxBytes = Int(try settings.byteCount("note.max.bytes", atMost: 64 << 20, "must be at most 67108864 (64 MiB)") ?? Int64(NoteLimits.defaultContentBytes))
        self.mediaWorkers = try settings.integer("media.workers", in: 0...64, "must be from 0 to 64") ?? 1
        self.previewIntervalSeconds = try settings.integer("preview.interval.seconds", in: 1...3_600, "must be from 1 to 3600 seconds") ?? 10
        self.transcodeResolutions = try Self.resolutions(settings.string("transcode.resolutions"), settings: settings)
        self.transcodeScratchBytes = try settings.byteCount("transcode.scratch.bytes") ?? Self.defaultTranscodeScratchBytes
        guard transcodeScratchBytes >= 1 << 20 else {
            throw settings.problem("transcode.scratch.bytes", "must be at least 1048576 (1 MiB)")
        }
        self.metricsToken = settings.string("metrics.token", secret: true)
        if let token = metricsToken, token.utf8.count < 16 {
            throw settings.problem("metrics.token", "must be at least 16 characters (for example: openssl rand -hex 32)")
        }
        self.timeouts = try ConnectionTimeouts(reading: settings.scoped("http"))
        self.costs = try CostRates(reading: settings.scoped("cost"))
        self.logLevel = settings.string("log.level") ?? "info"
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw settings.problem("log.level", "must be one of trace, debug, info, notice, warning, error, critical")
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
        if let url = sqliteURL {
            return String(url.dropFirst("sqlite:".count))
        }
        return (dataDirectory as NSString).appendingPathComponent("streamhub.sqlite")
    }
}
