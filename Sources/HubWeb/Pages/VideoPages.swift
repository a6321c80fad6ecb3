import Foundation
import HubCore

/// `/`: the library, or a search of it.
struct LibraryPage: PageView {
    static let template = "library"

    struct Card: Sendable {
        var id: String
        var title: String
        var thumbnailUrl: String?
        var duration: String
        var size: String
        var shared: Bool
        /// The hub a peer's video comes from.
        var originHub: String?

        init(_ video: Video) {
            id = video.id.rawValue
            title = video.title
            thumbnailUrl = video.thumbnailKey == nil ? nil : "/api/v1/videos/\(video.id)/thumbnail"
            duration = Format.duration(video.media.durationSeconds)
            size = Format.bytes(video.sizeBytes)
            shared = video.isShared
            originHub = video.origin?.hubName
        }
    }

    var pageTitle: String
    var query: String
    var isEmpty: Bool
    var videos: [Card]
    var previousPage: String?
    var nextPage: String?
}

/// `/upload`.
struct UploadPage: PageView {
    static let template = "upload"
    var pageTitle = "Upload"
    var maxUploadBytes: Int64
}

/// `/videos/{id}`: the player, the video's details and its notes.
struct PlayerPage: PageView {
    static let template = "player"

    struct Details: Sendable {
        var id: String
        var title: String
        var description: String
        var tags: [String]
        var tagList: String
        var streamUrl: String
        var thumbnailUrl: String?
        var duration: String
        var size: String
        var resolution: String?
        var codecs: String
        var contentType: String
        var filename: String
        var createdAt: String
        var owner: String?
        var shared: Bool
        var canEdit: Bool
        /// The hub a peer's video comes from.
        var originHub: String?
        /// A peer's video an admin may pin (keep a whole copy of here), and whether it is.
        var pinnable: Bool
        var pinned: Bool
    }

    struct NoteExcerpt: Sendable {
        var id: String
        var title: String
        var author: String
        var bodyHTML: TrustedHTML
    }

    var pageTitle: String
    var notes: [NoteExcerpt]
    var video: Details
}
