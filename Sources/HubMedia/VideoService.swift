import Foundation
import HubCore
import Logging
import NIOCore

/// Every operation on the video library with its access rule, as `NotepadService` is for notes:
/// the one place that decides whether a user may see, change or delete a video (through
/// `AccessPolicy`), and where a one-request upload becomes a video.
public struct VideoService: Sendable {
    public let repository: any VideoRepository
    /// Where the videos' bytes and thumbnails are; the stream routes read it directly once
    /// `video(_:for:may:)` has admitted the request.
    public let store: any ObjectStore
    public let ingestor: VideoIngestor
    public let staging: UploadStaging
    /// The shared catalogue: this hub's shared videos as peers see them, and peers' as listed here.
    public let catalogue: VideoCatalogue
    /// The processing queue, where a failed video's jobs are queued again.
    public let jobs: any MediaJobQueue
    let clock: any WallClock
    let logger: Logger

    public init(
        repository: any VideoRepository, store: any ObjectStore, ingestor: VideoIngestor, staging: UploadStaging,
        catalogue: VideoCatalogue, jobs: any MediaJobQueue, clock: any WallClock, logger: Logger
    ) {
        self.repository = repository
        self.jobs = jobs
        self.catalogue = catalogue
        self.store = store
        self.ingestor = ingestor
        self.staging = staging
        self.clock = clock
        self.logger = logger
    }

    /// The video named by `rawID` if `user` may do `action` to it: one of this hub's, or a peer's
    /// shared video from the catalogue, which every signed-in user may view and nobody here may
    /// change (only its owner, on its origin hub). Ids that are not ids, missing videos and videos
    /// the user may not see are all "not found"; a change they may not make is "forbidden".
    public func video(_ rawID: String?, for user: User, may action: AccessPolicy.Action) async throws -> Video {
        guard let rawID, let id = VideoID(rawID) else { throw AccessError.notFound("video \(rawID ?? "")") }
        // A peer's video being played asks here on every range: the catalogue remembers it for a
        // moment, so its ranges skip the database. (No peer's entry carries the id of one of this
        // hub's videos: merges refuse it.)
        if let remembered = catalogue.recentPeerVideo(id) { return try peerVideo(remembered.libraryVideo, for: user, may: action) }
        if let video = try await repository.find(id) {
            try AccessPolicy.check(user, may: action, video, describedAs: "video \(id)")
            return video
        }
        guard let entry = try await catalogue.peerVideo(id) else { throw AccessError.notFound("video \(id)") }
        return try peerVideo(entry.libraryVideo, for: user, may: action)
    }

    private func peerVideo(_ video: Video, for user: User, may action: AccessPolicy.Action) throws -> Video {
        guard let origin = video.origin else { throw AccessError.notFound("video \(video.id)") }
        guard AccessPolicy.allows(user, to: action, video) else {
            throw AccessError.forbidden("video \(video.id) belongs to \(origin.owner): only its owner changes it, on hub \(origin.hubName)")
        }
        return video
    }

    /// How deep a library listing that mixes peers' videos with this hub's may page: each page
    /// merges the first `offset + limit` of both, newest first.
    public static let deepestMixedListing = 10_000

    /// The page of videos `user` may see, newest first, matching `query` when given: this hub's
    /// and peers' shared ones together.
    public func list(query: String?, for user: User, offset: Int, limit: Int) async throws -> Page<Video> {
        let visibility = AccessPolicy.visibility(for: user)
        let peers = try await catalogue.peerVideos(query: query, offset: 0, limit: min(offset + limit, Self.deepestMixedListing))
        guard peers.total > 0 else { return try await repository.list(query: query, visibility: visibility, offset: offset, limit: limit) }
        guard offset + limit <= Self.deepestMixedListing else {
            throw InvalidInput(
                "with peers' videos in the library, listings reach \(Self.deepestMixedListing) videos deep; search to narrow it",
                code: "offset_too_deep")
        }
        let own = try await repository.list(query: query, visibility: visibility, offset: 0, limit: offset + limit)
        let merged = (own.items + peers.items.map(\.libraryVideo)).sorted { ($0.createdAt, $0.id.rawValue) > ($1.createdAt, $1.id.rawValue) }
        return Page(items: Array(merged.dropFirst(offset).prefix(limit)), total: own.total + peers.total, offset: offset, limit: limit)
    }

    /// The work on `video` still waiting or running; none for a peer's video, and none said
    /// when the queue cannot be read (a client only asks again later).
    public func pendingWork(on video: Video) async -> [MediaJobKind] {
        guard video.origin == nil else { return [] }
        do {
            return try await jobs.pending(for: video.id)
        } catch {
            logger.warning("could not read a video's pending work", metadata: ["video.id": "\(video.id)", "error": "\(error)"])
            return []
        }
    }

    /// For a search, the first moments of each listed video whose captions say the words: a
    /// search finds what is spoken in a video and links to when. Empty without a query; a
    /// failure only loses the moments, not the listing.
    public func captionMatches(_ query: String?, in videos: [Video], perVideo: Int = 3) async -> [VideoID: [CaptionMatch]] {
        guard let query, !query.trimmingCharacters(in: .whitespaces).isEmpty else { return [:] }
        let local = videos.filter { $0.origin == nil && !$0.captions.isEmpty }.map(\.id)
        do {
            return Dictionary(grouping: try await repository.captionMatches(query, in: local, perVideo: perVideo), by: \.videoID)
        } catch {
            logger.warning("could not look up matching captions", metadata: ["error": "\(error)"])
            return [:]
        }
    }

    public func update(_ rawID: String?, _ changes: VideoChanges, by user: User) async throws -> Video {
        let video = try await video(rawID, for: user, may: .modify)
        let changes = try Self.validate(changes)
        guard let updated = try await repository.update(video.id, changes: changes, at: clock.now()) else {
            throw AccessError.notFound("video \(video.id)")
        }
        await catalogue.publish(updated)
        return updated
    }

    /// Runs a failed video's processing again, for its owner or an admin.
    public func retry(_ rawID: String?, by user: User) async throws -> Video {
        let video = try await video(rawID, for: user, may: .modify)
        guard video.processing.status == .failed else { throw ProcessingError.notFailed(video.processing.status) }
        // The video says processing before its job can be claimed, so a worker's outcome is
        // never overwritten by this.
        guard let processing = try await repository.recordProcessing(video.id, ProcessingUpdate(state: .processing(0)), at: clock.now()) else {
            throw AccessError.notFound("video \(video.id)")
        }
        try await jobs.retry(video.id, at: clock.now())
        logger.info("video processing retried", metadata: ["video.id": "\(video.id)", "by": "\(user.name)"])
        return processing
    }

    /// Attaches captions in `language` (WebVTT or SRT, stored as WebVTT) to a video `user` may
    /// change, replacing that language's; refused with the line that could not be read.
    public func attachCaptions(_ rawID: String?, language: String, label: String?, file: String, by user: User) async throws -> CaptionTrack {
        let video = try await video(rawID, for: user, may: .modify)
        guard CaptionTrack.isLanguageTag(language) else { throw CaptionError.invalidLanguage(language) }
        let label = (label.map(UploadNaming.printable) ?? "").trimmingCharacters(in: .whitespaces)
        guard label.utf8.count <= 64 else { throw InvalidInput("a captions label is at most 64 bytes", code: "invalid_label") }
        let captions = try CaptionFile(reading: file)
        let key = try ObjectKey("videos/\(video.id.rawValue)/captions/\(language).vtt")
        _ = try await store.put(key, bytes: ByteBuffer(string: captions.webVTT), contentType: "text/vtt")
        let track = CaptionTrack(language: language, label: label.isEmpty ? language : label, storageKey: key.rawValue, cueCount: captions.cues.count)
        guard try await repository.putCaption(video.id, track, cues: captions.searchableCues) != nil else {
            try? await store.delete(key)
            throw AccessError.notFound("video \(video.id)")
        }
        logger.info("captions attached", metadata: ["video.id": "\(video.id)", "language": "\(language)", "cues": "\(track.cueCount)"])
        return track
    }

    /// Removes the captions in `language`.
    public func removeCaptions(_ rawID: String?, language: String, by user: User) async throws {
        let video = try await video(rawID, for: user, may: .modify)
        guard let track = video.captions.first(where: { $0.language == language }) else {
            throw AccessError.notFound("captions '\(language)' of video \(video.id)")
        }
        _ = try await repository.removeCaption(video.id, language: language)
        try? await store.delete(ObjectKey(track.storageKey))
    }

    /// Removes the metadata first, so the video disappears from the library at once, then the
    /// bytes; streams already open keep reading until they finish.
    public func delete(_ rawID: String?, by user: User) async throws {
        let video = try await video(rawID, for: user, may: .modify)
        guard try await repository.delete(video.id) != nil else { throw AccessError.notFound("video \(video.id)") }
        await catalogue.withdraw(video)
        let manifestKey = try VideoIngestor.manifestKey(of: video.id).rawValue
        for key in [video.storageKey, manifestKey] + video.derivedObjectKeys {
            do {
                try await store.delete(ObjectKey(key))
            } catch {
                logger.warning("could not delete a deleted video's object", metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
    }

    /// A file received whole (the one-request upload) becomes `owner`'s video; the staged file
    /// is consumed either way.
    public func ingest(stagedFileAt path: String, digest: ContentDigest?, described description: UploadDescription, ownedBy owner: UserID) async throws -> Video {
        do {
            let video = try await ingestor.ingest(fileAt: path, digest: digest, described: description, ownedBy: owner)
            ingestor.metrics.received(video.sizeBytes, by: .form)
            return video
        } catch {
            await staging.remove(path)
            throw error
        }
    }

    /// Whether the library's database answers (the readiness probe).
    public func ping() async throws { try await repository.ping() }

    /// Title, description and tags checked and normalised before anything is stored.
    static func validate(_ changes: VideoChanges) throws(InvalidInput) -> VideoChanges {
        var changes = changes
        if let title = changes.title?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard !title.isEmpty, title.unicodeScalars.count <= VideoLimits.titleLength, UploadNaming.printable(title) == title,
                !title.contains(where: \.isNewline)
            else {
                throw InvalidInput("title must be one line of 1 to \(VideoLimits.titleLength) characters without control characters", code: "invalid_title")
            }
            changes.title = title
        }
        if let description = changes.description, description.unicodeScalars.count > VideoLimits.descriptionLength {
            throw InvalidInput("description must be at most \(VideoLimits.descriptionLength) characters", code: "invalid_description")
        }
        if let tags = changes.tags {
            guard tags.count <= VideoLimits.tagCount, tags.allSatisfy({ $0.unicodeScalars.count <= VideoLimits.tagLength }) else {
                throw InvalidInput("at most \(VideoLimits.tagCount) tags of at most \(VideoLimits.tagLength) characters each", code: "invalid_tags")
            }
            changes.tags = UploadNaming.tags(tags)
        }
        return changes
    }
}
