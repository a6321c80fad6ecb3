import AsyncHTTPClient
import Foundation
import HubCore
import HubDatabase
import HubMedia
import HubNotes
import HubStorage
import HubSync
import Logging

/// Every dependency of the hub, built once at start-up (or by a test with its own choices) and
/// handed to the routes and services. The one place that knows which implementation backs
/// which protocol.
public struct HubEnvironment: Sendable {
    public let configuration: HubConfiguration
    public let database: HubDatabase
    public let videos: any VideoRepository
    public let store: any ObjectStore
    public let staging: UploadStaging
    public let ingestor: VideoIngestor
    public let uploads: TusUploadService
    public let accounts: AccountService
    public let notepad: NotepadService
    /// The peer network, when `P2P_ENABLED`.
    public let network: PeerNetwork?
    public let clock: any WallClock
    public let logger: Logger

    /// `httpClient` carries the hub's outgoing requests: to S3, and to peers.
    public init(
        configuration: HubConfiguration, media: any MediaProcessor, clock: any WallClock = SystemWallClock(),
        httpClient: HTTPClient = .shared, logger: Logger
    ) throws {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        do {
            try PosixPath.createDirectories(configuration.dataDirectory)
        } catch {
            throw ConfigurationError(setting: "HUB_DATA_DIR", problem: "cannot be created: \(error)")
        }
        do {
            database = try HubDatabase.open(path: configuration.sqlitePath)
        } catch {
            throw ConfigurationError(setting: "HUB_DATA_DIR", problem: "holds no usable database at \(configuration.sqlitePath): \(error)")
        }
        videos = CachedVideoRepository(database.videos)
        store = try StorageFactory.makeStore(configuration, http: httpClient, logger: logger)
        staging = UploadStaging(directory: "\(configuration.uploadDirectory)/.incoming")
        do {
            try staging.prepare()
        } catch {
            throw ConfigurationError(setting: "UPLOAD_DIR", problem: "is not writable: \(error)")
        }
        ingestor = VideoIngestor(store: store, videos: videos, media: media, staging: staging, clock: clock, logger: logger)
        uploads = TusUploadService(
            uploads: database.uploads, videos: videos, ingestor: ingestor, staging: staging, clock: clock,
            settings: .init(maxUploadBytes: configuration.maxUploadBytes, expiry: .seconds(configuration.uploadExpirySeconds)),
            logger: logger)
        accounts = try AccountService(configuration: configuration, accounts: database.accounts, clock: clock, logger: logger)
        let identity = NodeIdentity(id: try NodeID.load(dataDirectory: configuration.dataDirectory), name: configuration.peers.nodeName)
        notepad = NotepadService(
            notes: database.notes, analytics: database.noteAnalytics,
            mirror: try NoteMirror(directory: configuration.notepadStoragePath, logger: logger), syncLog: database.syncLog,
            node: identity, clock: clock, maxContentBytes: configuration.noteMaxBytes, logger: logger)
        let peers = configuration.peers
        if peers.enabled {
            network = PeerNetwork(
                settings: .init(
                    port: peers.port, host: configuration.host, seeds: peers.seeds, fanout: peers.fanout, gossipInterval: peers.gossipInterval,
                    antiEntropyInterval: peers.antiEntropyInterval, multicastDNS: peers.multicastDNS),
                identity: identity, notepad: notepad, peers: database.peers, secret: peers.secret, http: httpClient,
                clock: clock, logger: logger)
        } else {
            network = nil
        }
    }

    /// Refuses to start on a store other than the one the videos are in: the database records
    /// where objects live (`storage migrate` updates it), so switching `STORAGE_BACKEND` without
    /// migrating stops the hub with one line instead of serving a library of missing videos and
    /// splitting new uploads from old. A hub with no videos yet may switch freely.
    public func verifyStorageLocation() async throws {
        let configured = StorageFactory.location(configuration)
        let settings = database.settings
        let recorded = try await settings.value(Self.storageLocationSetting)
        guard recorded != configured else { return }
        if let recorded, try await database.videoCount() > 0 {
            throw ConfigurationError(
                setting: "STORAGE_BACKEND",
                problem: "points at \(configured), but this hub's videos are in \(recorded); "
                    + "copy them with `streamhub storage migrate --to \(configured.hasPrefix("s3") ? "s3" : "local")` or set it back")
        }
        try await settings.set(Self.storageLocationSetting, to: configured)
    }

    public static let storageLocationSetting = "storageLocation"

    /// The video named by a route's `:id` if `user` may do `action` to it; 404 for ids that are
    /// not ids, missing videos and videos the user may not see, 403 for changes they may not make.
    func video(_ rawID: String?, for user: User, may action: AccessPolicy.Action) async throws -> Video {
        guard let rawID, let id = VideoID(rawID), let video = try await videos.find(id) else {
            throw APIError.notFound("video \(rawID ?? "")")
        }
        try AccessPolicy.check(user, may: action, video, describedAs: "video \(id)")
        return video
    }

    /// Removes the metadata first, so the video disappears from the library at once, then the
    /// bytes; streams already open keep reading until they finish.
    func deleteVideo(_ video: Video) async throws {
        guard try await videos.delete(video.id) != nil else { throw APIError.notFound("video \(video.id)") }
        for key in [video.storageKey, video.thumbnailKey].compactMap({ $0 }) {
            do {
                try await store.delete(ObjectKey(key))
            } catch {
                logger.warning("could not delete a deleted video's object", metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
    }
}
