import Foundation
import HTTPTypes
import HubCore
import HubMedia
import Hummingbird

/// The library API: list, get, edit and delete videos, and the one-request multipart upload.
struct VideoController: Sendable {
    let environment: HubEnvironment

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("videos", use: list)
        group.post("videos", use: create)
        group.get("videos/:id", use: get)
        group.patch("videos/:id", use: update)
        group.delete("videos/:id", use: delete)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> VideoListResource {
        let query = request.uri.queryParameters
        let limit = try query.integer("limit", default: 24, in: 1...100)
        let offset = try query.integer("offset", default: 0, in: QueryBounds.offset)
        let text = try query.searchText()
        let page = try await environment.videos.list(
            query: text, visibility: AccessPolicy.visibility(for: context.user), offset: offset, limit: limit)
        return VideoListResource(items: page.items.map(VideoResource.init), total: page.total, offset: offset, limit: limit)
    }

    @Sendable func get(_ request: Request, context: SignedInContext) async throws -> VideoResource {
        VideoResource(try await environment.video(context.parameters.get("id"), for: context.user, may: .view))
    }

    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> VideoResource {
        let video = try await environment.video(context.parameters.get("id"), for: context.user, may: .modify)
        let changes = try Self.validate(try await request.decode(as: VideoChanges.self, context: context))
        guard let updated = try await environment.videos.update(video.id, changes: changes, at: environment.clock.now()) else {
            throw APIError.notFound("video \(video.id)")
        }
        return VideoResource(updated)
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        let video = try await environment.video(context.parameters.get("id"), for: context.user, may: .modify)
        try await environment.deleteVideo(video)
        return Response(status: .noContent)
    }

    /// `POST /api/v1/videos` with multipart/form-data: the file streams to the staging area as it
    /// arrives, then goes through the same ingest as a tus upload.
    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let limit = environment.configuration.maxUploadBytes
        let upload = try await MultipartUpload.receive(
            request, staging: environment.staging, maxFileBytes: limit)
        let video: Video
        do {
            video = try await environment.ingestor.ingest(fileAt: upload.path, sha256: upload.sha256, described: upload.description,
                ownedBy: context.user.id)
        } catch {
            await environment.staging.remove(upload.path)
            throw error
        }
        let resource = VideoResource(video)
        var response = try resource.response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/videos/\(video.id)"
        return response
    }

    static func validate(_ changes: VideoChanges) throws -> VideoChanges {
        var changes = changes
        if let title = changes.title?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard !title.isEmpty, title.utf8.count <= VideoLimits.titleLength, UploadNaming.printable(title) == title else {
                throw APIError.badRequest("title must be one line of 1 to \(VideoLimits.titleLength) bytes without control characters", code: "invalid_title")
            }
            changes.title = title
        }
        if let description = changes.description, description.utf8.count > VideoLimits.descriptionLength {
            throw APIError.badRequest("description must be at most \(VideoLimits.descriptionLength) bytes", code: "invalid_description")
        }
        if let tags = changes.tags {
            guard tags.count <= VideoLimits.tagCount, tags.allSatisfy({ $0.utf8.count <= VideoLimits.tagLength }) else {
                throw APIError.badRequest("at most \(VideoLimits.tagCount) tags of at most \(VideoLimits.tagLength) bytes each", code: "invalid_tags")
            }
            changes.tags = UploadNaming.tags(tags)
        }
        return changes
    }
}
