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

    public init(_ video: Video) {
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
