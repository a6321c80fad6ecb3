import Foundation
import HTTPTypes
import HubAPI
import HubCore
import HubMedia
import Hummingbird
import NIOCore

/// Captions of a video, one track per language: `PUT` a WebVTT or SRT file (stored as WebVTT),
/// `GET` it as WebVTT for the player's `<track>`, `DELETE` it.
struct CaptionController: Sendable {
    let videos: VideoService

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.put("videos/:id/captions/:language", use: attach)
        group.get("videos/:id/captions/:language", use: get)
        group.delete("videos/:id/captions/:language", use: remove)
    }

    /// The body is the file itself; `?label=` names the track in the player's menu. 201 with the
    /// track; 400 `invalid_captions` naming the line that could not be read, `invalid_language`,
    /// 413 past 2 MiB.
    @Sendable func attach(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await request.body.collect(upTo: CaptionFile.maxBytes)
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw APIError.badRequest("a captions file is UTF-8 text", code: "invalid_captions")
        }
        let track = try await videos.attachCaptions(
            context.parameters.get("id"), language: context.parameters.get("language") ?? "",
            label: request.uri.queryParameters.get("label"), file: text, by: context.user)
        var response = try CaptionResource(track, of: context.parameters.get("id") ?? "").response(from: request, context: context)
        response.status = .created
        return response
    }

    @Sendable func get(_ request: Request, context: SignedInContext) async throws -> Response {
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        let language = context.parameters.get("language") ?? ""
        guard let track = video.captions.first(where: { $0.language == language }) else {
            throw APIError.notFound("captions '\(language)' of video \(video.id)")
        }
        let vtt = try await videos.store.contents(of: ObjectKey(track.storageKey), limit: 4 * CaptionFile.maxBytes)
        return Response(
            status: .ok, headers: [.contentType: "text/vtt; charset=utf-8", .cacheControl: "private, no-cache"],
            body: ResponseBody(byteBuffer: vtt))
    }

    @Sendable func remove(_ request: Request, context: SignedInContext) async throws -> Response {
        try await videos.removeCaptions(context.parameters.get("id"), language: context.parameters.get("language") ?? "", by: context.user)
        return Response(status: .noContent)
    }
}
