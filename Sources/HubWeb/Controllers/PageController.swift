import Foundation
import HTTPTypes
import HubAPI
import HubAccounts
import HubCore
import HubMedia
import HubNotes
import HubSync
import Hummingbird
import Mustache

/// The server-rendered web UI: library, upload page and player, for signed-in users. Pages only
/// read; every change goes through the JSON API from the page's script, so there is one write
/// path to secure.
struct PageController: Sendable {
    let videos: VideoService
    let accounts: AccountService
    let notepad: NotepadService
    /// Says whether a peer's video is pinned here, for the player's pin button.
    let peerVideos: PeerVideos?
    let maxUploadBytes: Int64
    let renderer: PageRenderer

    /// Videos per library page.
    private var pageSize: Int { 24 }

    func addRoutes(to router: RouterGroup<SignedInPageContext>) {
        router.get("/", use: library)
        router.get("upload", use: upload)
        router.get("videos/:id", use: player)
    }

    @Sendable func library(_ request: Request, context: SignedInPageContext) async throws -> Response {
        let query = try request.uri.queryParameters.searchText() ?? ""
        let page = try request.uri.queryParameters.integer("page", default: 1, in: QueryBounds.page)
        let result = try await videos.list(query: query, for: context.user, offset: (page - 1) * pageSize, limit: pageSize)
        let moments = await videos.captionMatches(query, in: result.items)
        func link(_ page: Int) -> String {
            var components = URLComponents()
            components.queryItems = (query.isEmpty ? [] : [URLQueryItem(name: "q", value: query)]) + [URLQueryItem(name: "page", value: String(page))]
            return "/" + (components.string ?? "")
        }
        let view = LibraryPage(
            pageTitle: query.isEmpty ? "Library" : "Search: \(query)", query: query, isEmpty: result.items.isEmpty,
            videos: result.items.map { LibraryPage.Card($0, moments: moments[$0.id] ?? []) }, previousPage: page > 1 ? link(page - 1) : nil,
            nextPage: page * pageSize < result.total ? link(page + 1) : nil)
        return renderer.page(view, for: context.identity)
    }

    @Sendable func upload(_ request: Request, context: SignedInPageContext) async throws -> Response {
        renderer.page(UploadPage(maxUploadBytes: maxUploadBytes), for: context.identity)
    }

    @Sendable func player(_ request: Request, context: SignedInPageContext) async throws -> Response {
        let video: Video
        do {
            video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        } catch let error where APIError(error).status == .notFound {
            return renderer.page(
                ErrorPage(pageTitle: "Not found", heading: "Video not found", message: "It may have been deleted, or it is private."),
                for: context.identity, status: .notFound)
        }
        let media = video.media
        var owner: User?
        if let ownerID = video.ownerID {
            owner = ownerID == context.user.id ? context.user : try await accounts.user(ownerID)
        }
        // The video's notes sit beside it; their [m:ss] timestamps seek the player (player.js).
        let notes = try await notepad.list(
            NoteQuery(video: video.id, fullContent: true, visibility: AccessPolicy.visibility(for: context.user), limit: 20),
            for: context.user)
        var excerpts: [PlayerPage.NoteExcerpt] = []
        for note in notes.items.map(\.note) {
            excerpts.append(.init(id: note.id.rawValue, title: note.title, author: note.author, bodyHTML: TrustedHTML(rendered: await notepad.html.of(note))))
        }
        let resource = VideoResource(video)
        let details = PlayerPage.Details(
            id: video.id.rawValue, title: video.title, description: video.description, tags: video.tags,
            tagList: video.tags.joined(separator: ", "), streamUrl: "/api/v1/videos/\(video.id)/stream",
            thumbnailUrl: video.thumbnailKey == nil ? nil : "/api/v1/videos/\(video.id)/thumbnail",
            duration: Format.duration(media.durationSeconds), size: Format.bytes(video.sizeBytes),
            resolution: media.width.flatMap { w in media.height.map { "\(w)×\($0)" } },
            codecs: [media.videoCodec, media.audioCodec].compactMap { $0 }.joined(separator: " / "), contentType: video.contentType,
            filename: video.originalFilename, createdAt: ISO8601DateFormatter().string(from: video.createdAt),
            owner: video.origin?.owner ?? owner?.name, shared: video.isShared, canEdit: AccessPolicy.allows(context.user, to: .modify, video),
            originHub: video.origin?.hubName, pinnable: video.origin != nil && peerVideos != nil && context.user.isAdmin,
            pinned: video.origin != nil ? await peerVideos?.isPinned(video.id) ?? false : false,
            status: video.processing.status.rawValue, stateLabel: PlayerPage.stateLabel(video.processing), failure: video.processing.failure,
            canRetry: video.origin == nil && AccessPolicy.allows(context.user, to: .modify, video), isFailed: video.processing.status == .failed,
            pending: await videos.pendingWork(on: video).isEmpty ? "" : "true",
            playbackUrl: resource.playbackUrl, hlsUrl: resource.hlsUrl, playbackWarning: PlayerPage.playbackWarning(video), previewsUrl: resource.previewsUrl,
            captions: resource.captions)
        return renderer.page(PlayerPage(pageTitle: video.title, notes: excerpts, video: details), for: context.identity)
    }
}
