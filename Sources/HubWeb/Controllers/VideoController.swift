import Foundation
import HTTPTypes
import HubAPI
import HubCore
import HubMedia
import Hummingbird

/// The library API: list, get, edit and delete videos, and the one-request multipart upload.
struct VideoController: Sendable {
    let videos: VideoService
    let maxUploadBytes: Int64

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("videos", use: list)
        group.post("videos", use: create)
        group.get("videos/:id", use: get)
        group.patch("videos/:id", use: update)
        group.delete("videos/:id", use: delete)
        group.post("videos/:id/retry", use: retry)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> VideoListResource {
        let query = request.uri.queryParameters
        let limit = try query.integer("limit", default: 24, in: 1...100)
        let offset = try query.integer("offset", default: 0, in: QueryBounds.offset)
        let text = try query.searchText()
        let page = try await videos.list(query: text, for: context.user, offset: offset, limit: limit)
        let moments = await videos.captionMatches(text, in: page.items)
        return VideoListResource(
            items: page.items.map { VideoResource($0, captionMatches: text == nil ? nil : moments[$0.id] ?? []) }, total: page.total, offset: offset,
            limit: limit)
    }

    @Sendable func get(_ request: Request, context: SignedInContext) async throws -> VideoResource {
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        return VideoResource(video, pendingWork: await videos.pendingWork(on: video))
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> VideoResource {
        let changes = try await request.decode(as: VideoChanges.self, context: context)
        return VideoResource(try await videos.update(context.parameters.get("id"), changes, by: context.user))
    }

    /// A failed video's processing, run again (its owner or an admin): 200 with the video, now
    /// processing; 409 `not_failed` for one that is not failed.
    @Sendable func retry(_ request: Request, context: SignedInContext) async throws -> VideoResource {
        VideoResource(try await videos.retry(context.parameters.get("id"), by: context.user))
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        try await videos.delete(context.parameters.get("id"), by: context.user)
        return Response(status: .noContent)
    }

    /// `POST /api/v1/videos` with multipart/form-data: the file streams to the staging area as it
    /// arrives, then goes through the same ingest as a tus upload.
    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let upload = try await MultipartUpload.receive(request, staging: videos.staging, maxFileBytes: maxUploadBytes)
        let video = try await videos.ingest(stagedFileAt: upload.path, digest: upload.digest, described: upload.description, ownedBy: context.user.id)
        let resource = VideoResource(video)
        var response = try resource.response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/videos/\(video.id)"
        return response
    }
}
