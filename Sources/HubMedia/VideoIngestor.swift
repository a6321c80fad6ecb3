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
        self.title = title.isEmpty ? UploadNaming.defaultTitle(forFilename: filename) : UploadNaming.truncated(title, toUTF8Bytes: VideoLimits.titleLength)
        self.description = UploadNaming.truncated(description ?? "", toUTF8Bytes: VideoLimits.descriptionLength)
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

/// Turns a completely received file into a video: checks it is one (by its bytes), moves its
/// index to the front when needed, probes it, makes a thumbnail, stores it and records it — the
/// one path every upload (tus, form, command line) goes through, so "only complete, verified
/// video bytes become a video" holds in one place.
public struct VideoIngestor: Sendable {
    let store: any ObjectStore
    let videos: any VideoRepository
    let media: any MediaProcessor
    let staging: UploadStaging
    /// Told of every stored video: a shared upload joins the catalogue peers see.
    let catalogue: VideoCatalogue
    let clock: any WallClock
    let logger: Logger

    public init(
        store: any ObjectStore, videos: any VideoRepository, media: any MediaProcessor,
        staging: UploadStaging, catalogue: VideoCatalogue, clock: any WallClock, logger: Logger
    ) {
        self.store = store
        self.videos = videos
        self.catalogue = catalogue
        self.media = media
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
    /// joined from its parts) and `source` is a local copy to probe, removed on success; the
    /// stored object is replaced only when its index has to move to the front.
    public func ingest(
        fileAt source: String, digest known: ContentDigest?, described description: UploadDescription,
        ownedBy owner: UserID?, as id: VideoID = VideoID(), alreadyStored: Bool = false
    ) async throws -> Video {
        var path = source
        var known = known
        var storedKeys: [ObjectKey] = []
        do {
            let prefix = try await staging.prefix(of: path, count: ContentSniffer.prefixLength)
            guard let contentType = ContentSniffer.videoType(of: prefix) else {
                throw UploadError.notAVideo
            }
            if contentType == "video/mp4" || contentType == "video/quicktime",
                let remuxed = await moveIndexToFront(path)
            {
                path = remuxed
                known = nil
            }
            let digest = if let known { known } else { try await staging.digest(of: path) }
            let (sha256, size) = (digest.sha256, digest.size)
            let videoKey = try Self.sourceKey(of: id)
            let manifestKey = try Self.manifestKey(of: id)
            // Stored before the video row, so every video a peer can learn of has a manifest.
            let manifest = digest.manifest.encoded()
            _ = try await store.put(manifestKey, bytes: manifest, contentType: nil)
            storedKeys.append(manifestKey)
            var thumbnailKey: ObjectKey?
            let thumbnailPath = staging.temporaryPath(suffix: ".jpg")
            let (info, madeThumbnail) = await probeAndThumbnail(path, thumbnailPath: thumbnailPath)
            if madeThumbnail {
                let key = try ObjectKey("videos/\(id.rawValue)/thumbnail.jpg")
                _ = try await store.put(key, movingFileAt: thumbnailPath, contentType: "image/jpeg")
                storedKeys.append(key)
                thumbnailKey = key
            } else {
                await staging.remove(thumbnailPath)
            }
            if !alreadyStored || path != source {
                _ = try await store.put(videoKey, movingFileAt: path, contentType: contentType)
                // An object stored before this call is the caller's to remove.
                if !alreadyStored { storedKeys.append(videoKey) }
            }
            if path != source || alreadyStored { await staging.remove(source) }
            let now = clock.now()
            let video = Video(
                id: id, title: description.title, description: description.description, tags: description.tags,
                originalFilename: description.filename, contentType: contentType, sizeBytes: size, sha256: sha256,
                storageKey: videoKey.rawValue, thumbnailKey: thumbnailKey?.rawValue, media: info,
                createdAt: now, updatedAt: now, ownerID: owner, isShared: description.shared)
            try await videos.insert(video)
            logger.info("video stored", metadata: ["video.id": "\(id)", "video.size": "\(size)", "video.type": "\(contentType)"])
            await catalogue.publish(video)
            return video
        } catch {
            if path != source { await staging.remove(path) }  // our own remuxed copy
            for key in storedKeys { try? await store.delete(key) }
            throw error
        }
    }

    /// Probing and the thumbnail run side by side — both are ffmpeg processes, and the final
    /// upload response waits for them. The thumbnail is taken at 2 s, or at the middle of a clip
    /// too short for that.
    private func probeAndThumbnail(_ path: String, thumbnailPath: String) async -> (MediaInfo, Bool) {
        async let probed = media.probe(path)
        async let thumbnail = media.thumbnail(of: path, atSeconds: 2, to: thumbnailPath)
        let info = await probed
        if await thumbnail { return (info, true) }
        guard let duration = info.durationSeconds, duration > 0, duration <= 2 else { return (info, false) }
        return (info, await media.thumbnail(of: path, atSeconds: duration / 2, to: thumbnailPath))
    }

    /// A faststart copy of an MP4 whose index sits after its media data, or nil when the file
    /// needs none or ffmpeg is not available.
    private func moveIndexToFront(_ path: String) async -> String? {
        guard (try? MP4Layout.indexIsAtEnd(of: PosixFile(path: path, mode: .read))) == true else { return nil }
        let output = staging.temporaryPath(suffix: ".mp4")
        if await media.remuxFaststart(path, to: output) {
            logger.info("moved MP4 index to the front (faststart)")
            return output
        }
        await staging.remove(output)
        return nil
    }

}
