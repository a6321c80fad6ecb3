import Foundation
import HTTPTypes
import HubAPI
import HubCore
import HubNotes
import Hummingbird

/// The notepad API under `/api/v1`: notes, their versions, sharing, the trash, search, a
/// markdown preview and the analytics figures. Access rules live in `NotepadService`; this maps
/// HTTP onto it.
struct NoteController: Sendable {
    let notepad: NotepadService

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("notes", use: list)
        group.post("notes", use: create)
        group.post("notes/preview", use: preview)
        group.get("notes/:id", use: get)
        group.patch("notes/:id", use: update)
        group.delete("notes/:id", use: delete)
        group.post("notes/:id/restore", use: restore)
        group.post("notes/:id/share", use: share)
        group.post("notes/:id/unshare", use: unshare)
        group.get("notes/:id/versions", use: versions)
        group.get("notes/:id/versions/:version", use: version)
        group.post("notes/:id/versions/:version/restore", use: restoreVersion)
        group.get("notes/:id/diff", use: diff)
        group.get("analytics/notes", use: analytics)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> NoteListResource {
        let parameters = request.uri.queryParameters
        var query = NoteQuery(
            text: try parameters.searchText(), tag: parameters["tag"].map { String($0).lowercased() }, shared: try parameters.flag("shared"),
            deleted: try parameters.flag("deleted") ?? false, visibility: AccessPolicy.visibility(for: context.user),
            offset: try parameters.integer("offset", default: 0, in: QueryBounds.offset),
            limit: try parameters.integer("limit", default: 50, in: 1...200))
        if try parameters.flag("mine") == true { query.owner = context.user.id }
        if let video = parameters["video"] {
            guard let id = VideoID(String(video)) else { throw APIError.badRequest("'video' must be a video id", code: "invalid_parameter") }
            query.video = id
        }
        let page = try await notepad.list(query, for: context.user)
        let items = page.items.map { NoteSummaryResource($0, highlight: HTMLText.highlight) }
        return NoteListResource(items: items, total: page.total, offset: page.offset, limit: page.limit)
    }

    @Sendable func create(_ request: Request, context: SignedInContext) async throws -> Response {
        let body = try await decode(NoteRequest.self, from: request)
        let note = try await notepad.create(body.edit, by: context.user)
        var response = try await resource(note, for: context.user, rendered: false).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/api/v1/notes/\(note.id)"
        return response
    }

    @Sendable func get(_ request: Request, context: SignedInContext) async throws -> NoteResource {
        await resource(try await notepad.view(try id(context), for: context.user), for: context.user)
    }

    /// A save: the fields given change, the others stay. `baseVersion` names the version the
    /// writer started from; a save based on an older one is merged with what changed since, and
    /// only then does the answer carry the content.
    @Sendable func update(_ request: Request, context: SignedInContext) async throws -> NoteResource {
        let id = try id(context)
        let body = try await decode(NoteRequest.self, from: request)
        let result = try await notepad.edit(id, body.edit, baseVersion: body.baseVersion, by: context.user)
        // The merged text is news to the writer; an unmerged save's text is what they sent.
        return await resource(result.note, for: context.user, merged: result.merged, rendered: false, includingContent: result.merged)
    }

    @Sendable func delete(_ request: Request, context: SignedInContext) async throws -> Response {
        try await notepad.delete(try id(context), by: context.user)
        return Response(status: .noContent)
    }

    @Sendable func restore(_ request: Request, context: SignedInContext) async throws -> NoteResource {
        await resource(try await notepad.restore(try id(context), by: context.user), for: context.user)
    }

    /// `{"history": "all"}` (the default, also for no body) shares the note with every earlier
    /// version; `{"history": "none"}` shares its current version as a new note (201 with its
    /// `Location`), leaving the history private in the owner's trash.
    @Sendable func share(_ request: Request, context: SignedInContext) async throws -> Response {
        let history = try await decodeIfPresent(ShareRequest.self, from: request)?.history ?? .all
        switch history {
        case .all:
            return try await resource(try await notepad.setShared(try id(context), true, by: context.user), for: context.user)
                .response(from: request, context: context)
        case .none:
            let note = try await notepad.shareCurrentVersion(try id(context), by: context.user)
            var response = try await resource(note, for: context.user).response(from: request, context: context)
            response.status = .created
            response.headers[.location] = "/api/v1/notes/\(note.id)"
            return response
        }
    }

    @Sendable func unshare(_ request: Request, context: SignedInContext) async throws -> NoteResource {
        await resource(try await notepad.setShared(try id(context), false, by: context.user), for: context.user)
    }

    @Sendable func versions(_ request: Request, context: SignedInContext) async throws -> NoteVersionListResource {
        NoteVersionListResource(items: try await notepad.versions(of: try id(context), for: context.user).map(NoteVersionResource.init))
    }

    @Sendable func version(_ request: Request, context: SignedInContext) async throws -> NoteResource {
        let note = try await notepad.version(try versionNumber(context), of: try id(context), for: context.user)
        return await resource(note, for: context.user)
    }

    @Sendable func restoreVersion(_ request: Request, context: SignedInContext) async throws -> NoteResource {
        await resource(try await notepad.restore(version: try versionNumber(context), of: try id(context), by: context.user), for: context.user)
    }

    @Sendable func diff(_ request: Request, context: SignedInContext) async throws -> NoteDiffResource {
        let parameters = request.uri.queryParameters
        let from = try parameters.integer("from", default: 1, in: QueryBounds.version)
        let id = try id(context)
        let to: Int
        if parameters["to"] == nil {
            to = try await notepad.note(id, for: context.user).version
        } else {
            to = try parameters.integer("to", default: 1, in: QueryBounds.version)
        }
        return NoteDiffResource(from: from, to: to, diff: try await notepad.diff(of: id, from: from, to: to, for: context.user))
    }

    /// Renders markdown as a saved note would be, for the editor's live preview.
    @Sendable func preview(_ request: Request, context: SignedInContext) async throws -> RenderedMarkdown {
        let body = try await decode(PreviewRequest.self, from: request)
        guard body.content.utf8.count <= notepad.maxContentBytes else {
            throw NoteError.tooLarge(limit: notepad.maxContentBytes)
        }
        return RenderedMarkdown(html: await notepad.html.preview(body.content, timestampLinks: body.timestamps ?? false))
    }

    @Sendable func analytics(_ request: Request, context: SignedInContext) async throws -> NoteAnalyticsReport {
        let days = try request.uri.queryParameters.integer("days", default: 30, in: 1...366)
        return try await notepad.analyticsReport(for: context.user, days: days)
    }

    // MARK: - Helpers

    /// A note for the answer; `rendered` adds its HTML (reads do, saves do not: rendering a
    /// large note costs more than saving the edit).
    func resource(_ note: Note, for user: User, merged: Bool? = nil, rendered: Bool = true, includingContent: Bool = true) async -> NoteResource {
        let html = rendered ? await notepad.html.of(note) : nil
        return NoteResource(note, html: html, for: user, merged: merged, includingContent: includingContent)
    }

    private func id(_ context: SignedInContext) throws -> NoteID {
        let raw = context.parameters.get("id") ?? ""
        guard let id = NoteID(raw) else { throw APIError.notFound("note \(raw)") }
        return id
    }

    private func versionNumber(_ context: SignedInContext) throws -> Int {
        guard let raw = context.parameters.get("version"), let number = Int(raw), number >= 1 else {
            throw APIError(status: 404, code: "version_not_found", message: "versions are numbered from 1")
        }
        return number
    }

    /// A JSON body when the request has one, nil when it is empty.
    private func decodeIfPresent<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body? {
        let buffer = try await request.body.collect(upTo: Int(RequestBodyLimits.json))
        guard buffer.readableBytes > 0 else { return nil }
        return try JSONBodyDecoder.decode(Body.self, from: buffer)
    }

    /// JSON bodies may carry a whole note, so they get the note limit (with room for escaping)
    /// instead of the API's 1 MiB; anything larger is refused before it is read.
    private func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body {
        // RequestBodyLimitMiddleware refused a larger declared length; this bounds a chunked one.
        let limit = Int(RequestBodyLimits.noteJSON(maxContentBytes: notepad.maxContentBytes))
        let buffer = try await request.body.collect(upTo: limit)
        return try JSONBodyDecoder.decode(Body.self, from: buffer)
    }
}

