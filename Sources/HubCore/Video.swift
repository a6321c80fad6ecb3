import Foundation

/// Identifies a video.
public struct VideoID: RandomIdentifier {
    public let rawValue: String
    public init(canonical rawValue: String) { self.rawValue = rawValue }
}

/// What ffprobe found in a video. Every field is optional: without ffprobe installed, or for a
/// container it cannot read, the video still exists and streams.
public struct MediaInfo: Sendable, Equatable, Codable {
    public var durationSeconds: Double?
    public var width: Int?
    public var height: Int?
    public var videoCodec: String?
    public var audioCodec: String?

    public init(
        durationSeconds: Double? = nil, width: Int? = nil, height: Int? = nil,
        videoCodec: String? = nil, audioCodec: String? = nil
    ) {
        self.durationSeconds = durationSeconds
        self.width = width
        self.height = height
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
    }
}

/// A stored, complete video: only uploads whose every byte arrived (and whose checksum matched)
/// become one.
public struct Video: Sendable, Equatable, Identifiable {
    public var id: VideoID
    public var title: String
    public var description: String
    public var tags: [String]
    /// The name the uploader's file had, kept for display and downloads; never used as a path.
    public var originalFilename: String
    /// Sniffed from the bytes, never taken from the client.
    public var contentType: String
    public var sizeBytes: Int64
    /// Lowercase hex SHA-256 of the stored bytes; also the stream's strong ETag.
    public var sha256: String
    public var storageKey: String
    public var thumbnailKey: String?
    public var media: MediaInfo
    public var createdAt: Date
    public var updatedAt: Date
    /// Who uploaded it; nil once that account is deleted (then only admins see it).
    public var ownerID: UserID?
    /// Shared videos are visible to every signed-in user; private ones to the owner and admins.
    public var isShared: Bool
    /// Set for a peer's shared video, listed here from the shared catalogue: its bytes come from
    /// the hubs that hold it, and only its owner on its origin hub may change it.
    public var origin: PeerOrigin?
    /// Whether the work after its upload is done (a peer's video is listed only once ready).
    public var processing: ProcessingState
    /// Copies made by processing (a browser-safe one for a source browsers cannot play).
    public var renditions: [Rendition]
    /// Frames for the seek bar, when ffmpeg made them.
    public var previews: SeekPreviews?
    /// Captions its owner attached, one track per language.
    public var captions: [CaptionTrack]

    public init(
        id: VideoID, title: String, description: String, tags: [String], originalFilename: String,
        contentType: String, sizeBytes: Int64, sha256: String, storageKey: String,
        thumbnailKey: String?, media: MediaInfo, createdAt: Date, updatedAt: Date,
        ownerID: UserID?, isShared: Bool = false, origin: PeerOrigin? = nil, processing: ProcessingState = .ready,
        renditions: [Rendition] = [], previews: SeekPreviews? = nil, captions: [CaptionTrack] = []
    ) {
        self.captions = captions
        self.renditions = renditions
        self.previews = previews
        self.processing = processing
        self.id = id
        self.title = title
        self.description = description
        self.tags = tags
        self.originalFilename = originalFilename
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.storageKey = storageKey
        self.thumbnailKey = thumbnailKey
        self.media = media
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.ownerID = ownerID
        self.isShared = isShared
        self.origin = origin
    }
}

/// Where a peer's video comes from: the hub it was uploaded to and its owner there.
public struct PeerOrigin: Sendable, Equatable {
    public var node: NodeID
    /// `name@node-name`.
    public var owner: String

    public init(node: NodeID, owner: String) {
        self.node = node
        self.owner = owner
    }

    /// The origin hub's name, as its owner string carries it.
    public var hubName: String { owner.lastIndex(of: "@").map { String(owner[owner.index(after: $0)...]) } ?? node.rawValue }
}

extension Video: OwnedItem {
    public var isFromPeer: Bool { origin != nil }
}

extension Video {
    /// Every object made from the upload, besides the upload itself and its block manifest:
    /// what goes when the video does.
    public var derivedObjectKeys: [String] {
        [thumbnailKey].compactMap { $0 } + renditions.flatMap(\.objectKeys) + (previews?.sheetKeys ?? []) + captions.map(\.storageKey)
    }
}

/// The user-editable part of a video (PATCH). `nil` leaves a field as it is.
public struct VideoChanges: Sendable, Equatable, Codable {
    public var title: String?
    public var description: String?
    public var tags: [String]?
    public var shared: Bool?

    public init(title: String? = nil, description: String? = nil, tags: [String]? = nil, shared: Bool? = nil) {
        self.title = title
        self.description = description
        self.tags = tags
        self.shared = shared
    }
}

/// Text limits shared by every entry point (API, form, command line), so a title accepted by one
/// is accepted by all. Text is counted in characters (Unicode scalars, as JSON Schema's
/// `maxLength` counts them, so the API contract states the limits exactly); a file name is in
/// bytes, as file systems count it.
public enum VideoLimits {
    public static let titleLength = 200
    public static let descriptionLength = 5_000
    public static let tagCount = 32
    public static let tagLength = 40
    public static let filenameLength = 255
}
