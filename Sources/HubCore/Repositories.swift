/// Hub-wide settings kept in the database: what every instance on the same database must agree
/// on (where the videos are, whether sign-up is open), as opposed to per-process configuration.
public protocol HubSettingsRepository: Sendable {
    func value(_ name: String) async throws -> String?
    func set(_ name: String, to value: String) async throws
    /// The value of `name`, storing `proposed` first when there is none: of instances proposing
    /// at once, every one gets the first proposal stored.
    func value(_ name: String, proposing proposed: String) async throws -> String
}

/// Every repository the hub keeps its state in, as one value: the database a hub runs on is
/// chosen by building this (`HubDatabase.repositories` for SQLite), and nothing else names it.
public struct Repositories: Sendable {
    public var videos: any VideoRepository
    public var uploads: any UploadRepository
    public var accounts: any AccountRepository
    public var settings: any HubSettingsRepository
    public var notes: any NoteRepository
    public var noteAnalytics: any NoteAnalyticsRepository
    public var syncLog: any SyncLogRepository
    public var peers: any PeerRepository
    /// The shared video catalogue: this hub's shared videos and its peers'.
    public var catalogue: any CatalogueRepository
    /// The processing queue: work on stored videos.
    public var mediaJobs: any MediaJobQueue
    /// Bytes in and out by day, for the storage report.
    public var traffic: any TrafficRepository
    /// Failed sign-ins counted where every instance sees them; nil when one process counts them
    /// in memory (SQLite).
    public var signInFailures: (any SignInFailureLog)?

    public init(
        videos: any VideoRepository, uploads: any UploadRepository, accounts: any AccountRepository,
        settings: any HubSettingsRepository, notes: any NoteRepository, noteAnalytics: any NoteAnalyticsRepository,
        syncLog: any SyncLogRepository, peers: any PeerRepository, catalogue: any CatalogueRepository,
        mediaJobs: any MediaJobQueue, traffic: any TrafficRepository, signInFailures: (any SignInFailureLog)? = nil
    ) {
        self.mediaJobs = mediaJobs
        self.traffic = traffic
        self.signInFailures = signInFailures
        self.videos = videos
        self.uploads = uploads
        self.accounts = accounts
        self.settings = settings
        self.notes = notes
        self.noteAnalytics = noteAnalytics
        self.syncLog = syncLog
        self.peers = peers
        self.catalogue = catalogue
    }
}

/// The database did not answer in time, or lost its connection: the server's problem, answered
/// 503 while it lasts. The hub recovers by itself when the database is back.
public struct DatabaseUnavailable: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }
}
