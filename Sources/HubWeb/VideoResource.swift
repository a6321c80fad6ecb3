import Foundation
import HubCore
import Hummingbird

/// A video as the API shows it: the stored fields plus the URLs a client needs.
struct VideoResource: ResponseEncodable {
    var id: String
    var title: String
    var description: String
    var tags: [String]
    var filename: String
    var contentType: String
    var sizeBytes: Int64
    var sha256: String
    var durationSeconds: Double?
    var width: Int?
    var height: Int?
    var videoCodec: String?
    var audioCodec: String?
    var createdAt: Date
    var updatedAt: Date
    var streamUrl: String
    var thumbnailUrl: String?
    var ownerId: String?
    var shared: Bool

    init(_ video: Video) {
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

struct VideoListResource: ResponseEncodable {
    var items: [VideoResource]
    var total: Int
    var offset: Int
    var limit: Int
}
