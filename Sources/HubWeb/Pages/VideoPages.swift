import Foundation
import HubAPI
import HubCore
import HubMedia

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
        /// "processing 40%" or "failed" while the video is not ready; nil once it is.
        var state: String?
        /// In a search: moments whose captions say the words, each a link to the player there.
        var moments: [Moment]
        /// Stored, not computed: templates see stored properties only.
        var hasMoments: Bool

        struct Moment: Sendable {
            var time: String
            var text: String
            var url: String
        }

        init(_ video: Video, moments: [CaptionMatch] = []) {
            self.moments = moments.map { match in
                let resource = CaptionMatchResource(match)
                return Moment(time: Format.duration(resource.start), text: resource.text, url: resource.url)
            }
            hasMoments = !moments.isEmpty
            state = PlayerPage.stateLabel(video.processing)
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
        /// `processing`, `ready` or `failed`; the page asks for the video again until it is ready.
        var status: String
        var stateLabel: String?
        var failure: String?
        /// The video's owner or an admin, who may run its processing again once it has failed
        /// (the button shows then, even when it fails while the page is open).
        var canRetry: Bool
        var isFailed: Bool
        /// "true" while work on a ready video (previews, the ladder) is still to come: the page
        /// asks for it again until it has arrived.
        var pending: String
        /// What the player plays: the browser-safe rendition when there is one.
        var playbackUrl: String
        /// The adaptive ladder's master playlist, which the player prefers when there is one.
        var hlsUrl: String?
        /// Said when browsers will likely not play what there is.
        var playbackWarning: String?
        /// The seek previews' thumbnails track, which the seek strip under the player shows.
        var previewsUrl: String?
        /// `<track>`s of the captions.
        var captions: [CaptionResource]
    }

    struct NoteExcerpt: Sendable {
        var id: String
        var title: String
        var author: String
        var bodyHTML: TrustedHTML
    }

    /// Why browsers will likely not play a ready video that has no playable rendition, if so.
    static func playbackWarning(_ video: Video) -> String? {
        guard video.origin == nil, video.processing.status == .ready, !video.renditions.contains(where: { $0.name == Rendition.playable }) else {
            return nil
        }
        switch BrowserPlayability.plan(contentType: video.contentType, media: video.media) {
        case .asIs:
            return nil
        case .convert:
            let codecs = [video.media.videoCodec, video.media.audioCodec].compactMap { $0 }.joined(separator: " / ")
            return "Browsers cannot play \(codecs) in \(video.contentType), and no playable copy was made: download the original."
        case .unknown:
            guard !BrowserPlayability.containerIsPlayable(video.contentType) else { return nil }
            return "Browsers may not play \(video.contentType) files, and ffmpeg was not there to convert it: download the original."
        }
    }

    /// What a viewer is told of a video that is not ready.
    static func stateLabel(_ state: ProcessingState) -> String? {
        switch state.status {
        case .ready: nil
        case .processing: "Processing \(Int(((state.progress ?? 0) * 100).rounded()))%"
        case .failed: "Processing failed"
        }
    }

    var pageTitle: String
    var notes: [NoteExcerpt]
    var video: Details
}
