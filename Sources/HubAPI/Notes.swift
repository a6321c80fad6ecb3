import Foundation
import HubCore

/// A note as the API shows it, with its markdown rendered (safe mode) and what the asking user
/// may do with it.
public struct NoteResource: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    /// Left out of the answer to a save that was not merged: it is exactly what the client sent,
    /// and echoing a large note back costs more than saving the edit.
    public var content: String?
    /// The rendered markdown; left out of the answers to saves.
    public var html: String?
    public var tags: [String]
    public var shared: Bool
    public var ownerId: String?
    public var author: String
    public var lastEditor: String
    public var videoId: String?
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?
    public var canEdit: Bool
    public var canManage: Bool
    /// On a save: it was based on an older version and merged with what changed since.
    public var merged: Bool?

    public init(_ note: Note, html: String?, for user: User, merged: Bool? = nil, includingContent: Bool = true) {
        id = note.id.rawValue
        title = note.title
        content = includingContent ? note.content : nil
        self.html = html
        tags = note.tags
        shared = note.isShared
        ownerId = note.ownerID?.rawValue
        author = note.author
        lastEditor = note.lastEditor
        videoId = note.videoID?.rawValue
        version = note.version
        createdAt = note.createdAt
        updatedAt = note.updatedAt
        deletedAt = note.deletedAt
        canEdit = AccessPolicy.allows(user, to: .contribute, note)
        canManage = AccessPolicy.allows(user, to: .modify, note)
        self.merged = merged
    }
}

/// A note in a list: an excerpt instead of the content; for searches, where it matched (HTML
/// with `<mark>`, everything else escaped).
public struct NoteSummaryResource: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public var excerpt: String
    public var tags: [String]
    public var shared: Bool
    public var author: String
    public var videoId: String?
    public var version: Int
    public var updatedAt: Date
    public var deletedAt: Date?
    public var titleHighlight: String?
    public var snippet: String?

    /// `highlight` turns the search's marked text into safe HTML.
    public init(_ listing: NoteListing, highlight: (String) -> String) {
        let note = listing.note
        id = note.id.rawValue
        title = note.title
        excerpt = note.content
        tags = note.tags
        shared = note.isShared
        author = note.author
        videoId = note.videoID?.rawValue
        version = note.version
        updatedAt = note.updatedAt
        deletedAt = note.deletedAt
        titleHighlight = listing.titleHighlight.map(highlight)
        snippet = listing.snippet.map(highlight)
    }
}

/// `GET /api/v1/notes`: one page of notes.
public struct NoteListResource: Codable, Sendable, Equatable {
    public var items: [NoteSummaryResource]
    public var total: Int
    public var offset: Int
    public var limit: Int

    public init(items: [NoteSummaryResource], total: Int, offset: Int, limit: Int) {
        self.items = items
        self.total = total
        self.offset = offset
        self.limit = limit
    }
}

/// One version in a note's history.
public struct NoteVersionResource: Codable, Sendable, Equatable {
    public var version: Int
    public var author: String
    public var node: String
    public var clock: String
    public var summary: String
    public var at: Date

    public init(_ summary: NoteVersionSummary) {
        version = summary.version
        author = summary.author
        node = summary.stamp.node.rawValue
        clock = summary.stamp.clock.description
        self.summary = summary.summary
        at = summary.stamp.clock.date
    }
}

/// `GET /api/v1/notes/{id}/versions`.
public struct NoteVersionListResource: Codable, Sendable, Equatable {
    public var items: [NoteVersionResource]

    public init(items: [NoteVersionResource]) { self.items = items }
}

/// `GET /api/v1/notes/{id}/diff?from=&to=`: what changed, line by line.
public struct NoteDiffResource: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        /// `same`, `removed` or `added`.
        public var kind: String
        public var text: String
    }
    public var from: Int
    public var to: Int
    public var lines: [Line]
    /// The diff went on past the lines shown (`TextDiff.lines`' limit).
    public var truncated: Bool

    public init(from: Int, to: Int, diff: (lines: [TextDiff.Line], truncated: Bool)) {
        self.from = from
        self.to = to
        self.truncated = diff.truncated
        self.lines = diff.lines.map { line in
            switch line {
            case .same(let text): Line(kind: "same", text: text)
            case .removed(let text): Line(kind: "removed", text: text)
            case .added(let text): Line(kind: "added", text: text)
            }
        }
    }
}

/// `POST /api/v1/notes/preview`: markdown rendered as a note's page shows it.
public struct RenderedMarkdown: Codable, Sendable, Equatable {
    public var html: String

    public init(html: String) { self.html = html }
}

/// The body of `POST /api/v1/notes` and `PATCH /api/v1/notes/{id}`. `videoId: null` detaches a
/// note from its video, which is why an absent key and a null one differ.
public struct NoteRequest: Codable, Sendable {
    public var edit: NoteEdit
    /// The version the writer started from; an older one is merged with what changed since.
    public var baseVersion: Int?

    public init(_ edit: NoteEdit, baseVersion: Int? = nil) {
        self.edit = edit
        self.baseVersion = baseVersion
    }

    private enum CodingKeys: String, CodingKey { case title, content, tags, shared, videoId, baseVersion }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        edit = NoteEdit(
            title: try container.decodeIfPresent(String.self, forKey: .title),
            content: try container.decodeIfPresent(String.self, forKey: .content),
            tags: try container.decodeIfPresent([String].self, forKey: .tags),
            shared: try container.decodeIfPresent(Bool.self, forKey: .shared))
        if container.contains(.videoId) {
            edit.video = .some(try container.decodeIfPresent(VideoID.self, forKey: .videoId))
        }
        baseVersion = try container.decodeIfPresent(Int.self, forKey: .baseVersion)
        // A version number, as every version is: bounded here, before the merge does arithmetic
        // with it, like `?from=` and `?to=`.
        if let baseVersion, !(1...Int(Int32.max)).contains(baseVersion) {
            throw DecodingError.dataCorruptedError(
                forKey: .baseVersion, in: container, debugDescription: "baseVersion is a version number, from 1 to \(Int32.max)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(edit.title, forKey: .title)
        try container.encodeIfPresent(edit.content, forKey: .content)
        try container.encodeIfPresent(edit.tags, forKey: .tags)
        try container.encodeIfPresent(edit.shared, forKey: .shared)
        if let video = edit.video { try container.encode(video, forKey: .videoId) }
        try container.encodeIfPresent(baseVersion, forKey: .baseVersion)
    }
}

/// The body of `POST /api/v1/notes/{id}/share`, optional: `"history": "none"` shares only
/// what the note says now, as a new note.
public struct ShareRequest: Codable, Sendable {
    public enum History: String, Codable, Sendable, CaseIterable { case all, none }
    public var history: History?

    public init(history: History?) { self.history = history }
}

/// The body of `POST /api/v1/notes/preview`.
public struct PreviewRequest: Codable, Sendable {
    public var content: String
    /// Link `[m:ss]` timestamps, as in a video's notes.
    public var timestamps: Bool?

    public init(content: String, timestamps: Bool? = nil) {
        self.content = content
        self.timestamps = timestamps
    }
}

// MARK: - Schemas

extension NoteResource: DocumentedSchema {
    public static let schemaName = "Note"
    public static let schema = JSONSchema.object([
        "id": .uuid(), "title": .string(),
        "content": .string("Markdown. Left out of the answer to a save that was not merged.").optional,
        "html": .string("The markdown rendered (raw HTML is not passed through). Left out of the answers to saves.").optional,
        "tags": .array(.string()), "shared": .boolean(), "ownerId": .uuid().optional,
        "author": .string("`name@hub` of who made it."), "lastEditor": .string(), "videoId": .uuid().optional,
        "version": .integer(minimum: 1), "createdAt": .dateTime(), "updatedAt": .dateTime(),
        "deletedAt": .dateTime("In the trash since; restorable for 30 days.").optional,
        "canEdit": .boolean(), "canManage": .boolean("May share, unshare and delete it."),
        "merged": .boolean("On a save based on an older version: merged with what changed since.").optional,
    ])
}

extension NoteSummaryResource: DocumentedSchema {
    public static let schemaName = "NoteSummary"
    public static let schema = JSONSchema.object([
        "id": .uuid(), "title": .string(), "excerpt": .string(), "tags": .array(.string()), "shared": .boolean(), "author": .string(),
        "videoId": .uuid().optional, "version": .integer(minimum: 1), "updatedAt": .dateTime(), "deletedAt": .dateTime().optional,
        "titleHighlight": .string("In a search: the title as HTML, matches in `<mark>`.").optional,
        "snippet": .string("In a search: where the content matched, as HTML with `<mark>`.").optional,
    ])
}

extension NoteListResource: DocumentedSchema {
    public static let schemaName = "NoteList"
    public static let schema = JSONSchema.object([
        "items": .array(.ref(NoteSummaryResource.self)), "total": .count(), "offset": .count(), "limit": .count(),
    ])
}

extension NoteVersionResource: DocumentedSchema {
    public static let schemaName = "NoteVersion"
    public static let schema = JSONSchema.object([
        "version": .integer(minimum: 1), "author": .string(), "node": .string("The hub that made it."),
        "clock": .string("Its hybrid logical clock."), "summary": .string(), "at": .dateTime(),
    ])
}

extension NoteVersionListResource: DocumentedSchema {
    public static let schemaName = "NoteVersionList"
    public static let schema = JSONSchema.object(["items": .array(.ref(NoteVersionResource.self))])
}

extension NoteDiffResource.Line: DocumentedSchema {
    public static let schemaName = "NoteDiffLine"
    public static let schema = JSONSchema.object(["kind": .oneOf(["same", "removed", "added"]), "text": .string()])
}

extension NoteDiffResource: DocumentedSchema {
    public static let schemaName = "NoteDiff"
    public static let schema = JSONSchema.object([
        "from": .integer(minimum: 1), "to": .integer(minimum: 1), "lines": .array(.ref(NoteDiffResource.Line.self)),
        "truncated": .boolean("The diff went on past the lines shown."),
    ])
}

extension RenderedMarkdown: DocumentedSchema {
    public static let schema = JSONSchema.object(["html": .string()])
}

extension NoteRequest: DocumentedSchema {
    public static let schemaName = "NoteChanges"
    /// A new note takes what it is given ("Untitled note" without a title); a change sends
    /// only what it changes.
    public static let schema = JSONSchema.object(
            open: true,
            [
                "title": JSONSchema.line(maxLength: NoteLimits.titleLength).optional,
                "content": .string("Markdown, at most `NOTE_MAX_BYTES` bytes of UTF-8 (2 MiB unless configured).").optional,
                "tags": .array(.line(maxLength: NoteLimits.tagLength), "Kept lowercase, duplicates merged.", maxItems: NoteLimits.tagCount).optional,
                "shared": .boolean("Visible to every member (and to peers).").optional,
                "videoId": JSONSchema.uuid("The video the note is about; `null` detaches it (leaving it out keeps it).").nullable.optional,
                "baseVersion": JSONSchema.integer(
                    "The version the writer started from: an older one is merged with what changed since.", minimum: 1, maximum: Int64(Int32.max)
                ).optional,
            ])
}

extension ShareRequest: DocumentedSchema {
    public static let schema = JSONSchema.object(
        open: true, ["history": .oneOf(History.self, "`none` shares only what the note says now, as a new note.").optional])
}

extension PreviewRequest: DocumentedSchema {
    public static let schema = JSONSchema.object(
        open: true, ["content": .string("Markdown."), "timestamps": .boolean("Link `[m:ss]` timestamps, as in a video's notes.").optional])
}
