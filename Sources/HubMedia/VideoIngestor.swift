import Foundation
import HubCore
import HubSystem
import Logging

/// What the uploader told us about a file (all of it advisory).
public struct UploadDescription: Sendable {
    public var filename: String
    public var title: String
    public var description: String
    public var tags: [String]
    /// Whether the uploader shares the video with every signed-in user from the start.
    public var shared: Bool

    public init(filename: String?, title: String?, description: String?, tags: [String], shared: Bool = false) {
        let filename = UploadNaming.sanitizedFilename(filename)
        self.filename = filename
        let title = title.map(UploadNaming.printable)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        self.title = title.isEmpty ? UploadNaming.defaultTitle(forFilename: filename) : UploadNaming.truncated(title, toScalars: VideoLimits.titleLength)
        self.description = UploadNaming.truncated(description ?? "", toScalars: VideoLimits.descriptionLength)
        self.tags = tags
        self.shared = shared
    }

    /// The video type the file name claims, for storage that must be told a type before any
    /// byte arrives; never what the hub serves (that is sniffed).
    public var claimedContentType: String? {
        switch filename.split(separator: ".").last?.lowercased() {
        case "mp4", "m4v": "video/mp4"
        case "mov": "video/quicktime"
        case "webm": "video/webm"
        case "mkv": "video/x-matroska"
        case "avi": "video/x-msvideo"
        case "ogv": "video/ogg"
        default: nil
        }
    }

    /// From tus `Upload-Metadata` (tus-js-client and tuspy send `filename`; the hub's own page
    /// and command line also send `title`, `description` and `tags`).
    public init(metadata: [String: String]) {
        self.init(
            filename: metadata["filename"] ?? metadata["name"], title: metadata["title"],
            description: metadata["description"], tags: UploadNaming.tags(fromList: metadata["tags"]),
            shared: metadata["shared"] == "true")
    }
}

/// Turns a completely received file into a video: checks it is one (by its bytes), stores it
/// with its block manifest and records it as `processing`, with its `prepare` job queued in the
/// same transaction — the one path every upload (tus, form, command line) goes through, so "only
/// complete, verified video bytes become a video" holds in one place. Probing, the thumbnail and
/// faststart run afterwards in the processing queue (`VideoPreparation`), so the upload's final
/// response waits for none of them.
public struct VideoIngestor: Sendable {
    let store: any ObjectStore
    let videos: any VideoRepository
    let staging: UploadStaging
    let clock: any WallClock
    let metrics: UploadMetrics
    let logger: Logger

    public init(
        store: any ObjectStore, videos: any VideoRepository, staging: UploadStaging, clock: any WallClock, metrics: UploadMetrics = .disabled,
        logger: Logger
    ) {
        self.metrics = metrics
        self.store = store
        self.videos = videos
        self.staging = staging
        self.clock = clock
        self.logger = logger
    }

    /// Where the bytes of video `id` are stored.
    public static func sourceKey(of id: VideoID) throws -> ObjectKey {
        // Keys name what an object is; spreading them over directories is the local store's
        // business (videos stored before it did are under `videos/<2 chars>/<id>/`).
        try ObjectKey("videos/\(id.rawValue)/source")
    }

    /// Where the block manifest of video `id` is stored (`BlockManifest.encoded()`).
    public static func manifestKey(of id: VideoID) throws -> ObjectKey {
        try ObjectKey("videos/\(id.rawValue)/blocks")
    }

    /// Ingests the file at `source`, which is moved into the store on success and left in place
    /// on failure, so the caller decides: a tus upload keeps it for a retry, a one-shot upload
    /// deletes it. `digest` is the file's, from the pass that wrote it, when the caller has it.
    ///
    /// With `alreadyStored`, the bytes are in the store at `sourceKey(of: id)` already (an upload
    /// joined from its parts) and `source` is a local copy, removed on success.
    public func ingest(
        fileAt source: String, digest known: ContentDigest?, described description: UploadDescription,
        ownedBy owner: UserID?, as id: VideoID = VideoID(), alreadyStored: Bool = false
    ) async throws -> Video {
        var storedKeys: [ObjectKey] = []
        do {
            let prefix = try await staging.prefix(of: source, count: ContentSniffer.prefixLength)
            guard let contentType = ContentSniffer.videoType(of: prefix) else {
                throw UploadError.notAVideo
            }
            let digest = if let known { known } else { try await staging.digest(of: source) }
            let videoKey = try Self.sourceKey(of: id)
            let manifestKey = try Self.manifestKey(of: id)
            // Stored before the video row, so every video a peer can learn of has a manifest.
            _ = try await store.put(manifestKey, bytes: digest.manifest.encoded(), contentType: nil)
            storedKeys.append(manifestKey)
            if alreadyStored {
                await staging.remove(source)
            } else {
                _ = try await store.put(videoKey, movingFileAt: source, contentType: contentType)
                storedKeys.append(videoKey)
            }
            let now = clock.now()
            let video = Video(
                id: id, title: description.title, description: description.description, tags: description.tags,
                originalFilename: description.filename, contentType: contentType, sizeBytes: digest.size, sha256: digest.sha256,
                storageKey: videoKey.rawValue, thumbnailKey: nil, media: MediaInfo(), createdAt: now, updatedAt: now,
                ownerID: owner, isShared: description.shared, processing: .processing(0))
            try await videos.insert(video)
            metrics.completedOne()
            logger.info("video stored", metadata: ["video.id": "\(id)", "video.size": "\(digest.size)", "video.type": "\(contentType)"])
            return video
        } catch {
            // An object stored before this call is the caller's to remove.
            for key in storedKeys { try? await store.delete(key) }
            throw error
        }
    }
}
