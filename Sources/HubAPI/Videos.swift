import Foundation
import HubCore

/// A video as the API shows it (`GET /api/v1/videos/{id}`): the stored fields plus the URLs a
/// client needs.
public struct VideoResource: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String
    public var tags: [String]
    public var filename: String
    public var contentType: String
    public var sizeBytes: Int64
    public var sha256: String
    public var durationSeconds: Double?
    public var width: Int?
    public var height: Int?
    public var videoCodec: String?
    public var audioCodec: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var streamUrl: String
    public var thumbnailUrl: String?
    public var ownerId: String?
    public var shared: Bool
    /// Set on a peer's shared video: the hub it was uploaded to and its owner there.
    public var origin: OriginResource?
    /// `processing` (then `progress`, 0 to 1), `ready`, or `failed` (then `failure` says why).
    public var status: String
    public var progress: Double?
    public var failure: String?
    /// Copies processing made: `playable` (H.264/AAC in MP4) for a source browsers cannot play,
    /// and the adaptive ladder's rungs (`360p`, `720p`…), each with its HLS media playlist.
    public var renditions: [RenditionResource]
    /// The adaptive ladder's HLS master playlist, once the ladder is made.
    public var hlsUrl: String?
    /// What a browser should play: the playable rendition when there is one, else the original
    /// (`streamUrl`, which stays the original's download).
    public var playbackUrl: String
    /// The seek previews' WebVTT thumbnails track, when ffmpeg made previews.
    public var previewsUrl: String?
    /// Captions its owner attached, one per language.
    public var captions: [CaptionResource]
    /// In a search's results: the first moments whose captions say the words searched for.
    public var captionMatches: [CaptionMatchResource]?
    /// On one video asked for by itself: the work on it still waiting or running (`prepare`,
    /// `previews`, `ladder`), so a client knows whether to ask again.
    public var pendingWork: [String]?

    public init(_ video: Video, captionMatches matches: [CaptionMatch]? = nil, pendingWork: [MediaJobKind]? = nil) {
        self.pendingWork = pendingWork.map { $0.map(\.rawValue) }
        captionMatches = matches.map { $0.map { CaptionMatchResource($0) } }
        captions = video.origin != nil ? [] : video.captions.map { CaptionResource($0, of: video.id.rawValue) }
        previewsUrl = video.previews != nil && video.origin == nil ? "/api/v1/videos/\(video.id)/previews.vtt" : nil
        renditions = video.origin != nil ? [] : video.renditions.map { RenditionResource($0, of: video.id) }
        playbackUrl = renditions.first { $0.name == Rendition.playable }?.url ?? "/api/v1/videos/\(video.id)/stream"
        hlsUrl = renditions.contains { $0.playlistUrl != nil } ? "/api/v1/videos/\(video.id)/hls/master.m3u8" : nil
        status = video.processing.status.rawValue
        progress = video.processing.progress
        failure = video.processing.failure
        id = video.id.rawValue
        title = video.title
        description = video.description
        tags = video.tags
        filename = video.originalFilename
        contentType = video.contentType
        sizeBytes = video.sizeBytes
        sha256 = video.sha256
        durationSeconds = video.media.durationSeconds
        width = video.media.width
        height = video.media.height
        videoCodec = video.media.videoCodec
        audioCodec = video.media.audioCodec
        createdAt = video.createdAt
        updatedAt = video.updatedAt
        streamUrl = "/api/v1/videos/\(video.id)/stream"
        thumbnailUrl = video.thumbnailKey == nil ? nil : "/api/v1/videos/\(video.id)/thumbnail"
        ownerId = video.ownerID?.rawValue
        shared = video.isShared
        origin = video.origin.map { OriginResource(node: $0.node.rawValue, hub: $0.hubName, owner: $0.owner) }
    }
}

/// One captions track of a video (`PUT /api/v1/videos/{id}/captions/{language}` answers one).
public struct CaptionResource: Codable, Sendable, Equatable {
    public var language: String
    public var label: String
    public var cues: Int
    /// The track as WebVTT.
    public var url: String

    public init(_ track: CaptionTrack, of video: String) {
        language = track.language
        label = track.label
        cues = track.cueCount
        url = "/api/v1/videos/\(video)/captions/\(track.language)"
    }
}

/// A moment of a video whose captions matched a search.
public struct CaptionMatchResource: Codable, Sendable, Equatable {
    public var language: String
    /// Seconds from the start.
    public var start: Double
    public var text: String
    /// The player page, opened at that moment (`#t=`).
    public var url: String

    public init(_ match: CaptionMatch) {
        language = match.language
        start = Double(match.startMilliseconds) / 1000
        text = match.text
        url = "/videos/\(match.videoID)#t=\(String(format: "%.3f", start))"
    }
}

/// One rendition of a video.
public struct RenditionResource: Codable, Sendable, Equatable {
    public var name: String
    public var url: String
    public var contentType: String
    public var sizeBytes: Int64
    public var width: Int?
    public var height: Int?
    public var videoCodec: String?
    public var audioCodec: String?
    /// A ladder rung's HLS media playlist, RFC 6381 codecs, and peak and average bits per second.
    public var playlistUrl: String?
    public var codecs: String?
    public var peakBitRate: Int?
    public var averageBitRate: Int?

    public init(_ rendition: Rendition, of video: VideoID) {
        playlistUrl = rendition.isAdaptive ? "/api/v1/videos/\(video)/hls/\(rendition.name).m3u8" : nil
        codecs = rendition.codecs
        peakBitRate = rendition.peakBitRate
        averageBitRate = rendition.averageBitRate
        name = rendition.name
        url = "/api/v1/videos/\(video)/renditions/\(rendition.name)"
        contentType = rendition.contentType
        sizeBytes = rendition.sizeBytes
        width = rendition.width
        height = rendition.height
        videoCodec = rendition.videoCodec
        audioCodec = rendition.audioCodec
    }
}

/// Where a peer's video comes from.
public struct OriginResource: Codable, Sendable, Equatable {
    public var node: String
    public var hub: String
    /// `name@hub`.
    public var owner: String

    public init(node: String, hub: String, owner: String) {
        self.node = node
        self.hub = hub
        self.owner = owner
    }
}

/// `GET /api/v1/videos`: one page of the library.
public struct VideoListResource: Codable, Sendable, Equatable {
    public var items: [VideoResource]
    public var total: Int
    public var offset: Int
    public var limit: Int

    public init(items: [VideoResource], total: Int, offset: Int, limit: Int) {
        self.items = items
        self.total = total
        self.offset = offset
        self.limit = limit
    }
}

/// `POST` and `DELETE /api/v1/videos/{id}/pin`: whether this hub keeps a whole copy of a peer's
/// video whatever the replica placement says.
public struct VideoPinResource: Codable, Sendable, Equatable {
    public var video: String
    public var pinned: Bool

    public init(video: String, pinned: Bool) {
        self.video = video
        self.pinned = pinned
    }
}

// MARK: - Schemas

extension VideoResource: DocumentedSchema {
    public static let schemaName = "Video"
    public static let schema = JSONSchema.object([
        "id": .uuid(), "title": .string(), "description": .string(), "tags": .array(.string()),
        "filename": .string("The uploaded file's name."), "contentType": .string(), "sizeBytes": .count(),
        "sha256": .string("Of the original, as lowercase hex.", pattern: "^[0-9a-f]{64}$").example(.string(String(repeating: "5e", count: 32))),
        "durationSeconds": .number(minimum: 0).optional, "width": .count().optional, "height": .count().optional,
        "videoCodec": .string().optional, "audioCodec": .string().optional,
        "createdAt": .dateTime(), "updatedAt": .dateTime(),
        "streamUrl": .string("The original, with ranges: the download."), "thumbnailUrl": .string().optional,
        "ownerId": .uuid().optional, "shared": .boolean(),
        "origin": .ref(OriginResource.self, "On a peer's shared video: where it was uploaded.").optional,
        "status": .oneOf(VideoStatus.self),
        "progress": .number("While processing, from 0 to 1.", minimum: 0, maximum: 1).optional,
        "failure": .string("Why processing failed.").optional,
        "renditions": .array(.ref(RenditionResource.self)),
        "hlsUrl": .string("The adaptive ladder's HLS master playlist.").optional,
        "playbackUrl": .string("What a browser should play."),
        "previewsUrl": .string("The seek previews' WebVTT thumbnails track.").optional,
        "captions": .array(.ref(CaptionResource.self)),
        "captionMatches": .array(.ref(CaptionMatchResource.self), "In a search: the moments whose captions matched.").optional,
        "pendingWork": .array(.oneOf(MediaJobKind.self), "Processing still to come on this video.").optional,
    ])
}

extension CaptionResource: DocumentedSchema {
    public static let schemaName = "Captions"
    public static let schema = JSONSchema.object([
        "language": .string("A BCP 47 language tag."), "label": .string(), "cues": .count(), "url": .string("The track as WebVTT."),
    ])
}

extension CaptionMatchResource: DocumentedSchema {
    public static let schemaName = "CaptionMatch"
    public static let schema = JSONSchema.object([
        "language": .string(), "start": .number("Seconds from the start.", minimum: 0), "text": .string(),
        "url": .string("The player page at that moment."),
    ])
}

extension RenditionResource: DocumentedSchema {
    public static let schemaName = "Rendition"
    public static let schema = JSONSchema.object([
        "name": .string("`playable`, or a ladder rung such as `720p`."), "url": .string(), "contentType": .string(), "sizeBytes": .count(),
        "width": .count().optional, "height": .count().optional, "videoCodec": .string().optional, "audioCodec": .string().optional,
        "playlistUrl": .string("A ladder rung's HLS media playlist.").optional, "codecs": .string("RFC 6381 codecs.").optional,
        "peakBitRate": .count().optional, "averageBitRate": .count().optional,
    ])
}

extension OriginResource: DocumentedSchema {
    public static let schemaName = "Origin"
    public static let schema = JSONSchema.object([
        "node": .string("The node id of the hub it was uploaded to."), "hub": .string(), "owner": .string("`name@hub`."),
    ])
}

extension VideoListResource: DocumentedSchema {
    public static let schemaName = "VideoList"
    public static let schema = JSONSchema.object([
        "items": .array(.ref(VideoResource.self)), "total": .count(), "offset": .count(), "limit": .count(),
    ])
}

extension VideoPinResource: DocumentedSchema {
    public static let schemaName = "VideoPin"
    public static let schema = JSONSchema.object(["video": .uuid(), "pinned": .boolean()])
}

extension VideoChanges: DocumentedSchema {
    public static let schema = JSONSchema.object(
        open: true,
        [
            "title": JSONSchema.line(maxLength: VideoLimits.titleLength).optional,
            "description": JSONSchema.string("At most \(VideoLimits.descriptionLength) characters.", maxLength: VideoLimits.descriptionLength)
                .optional,
            "tags": JSONSchema.array(
                .string("At most \(VideoLimits.tagLength) characters.", maxLength: VideoLimits.tagLength), maxItems: VideoLimits.tagCount
            ).optional,
            "shared": JSONSchema.boolean("Visible to every member (and listed to peers).").optional,
        ])
}
