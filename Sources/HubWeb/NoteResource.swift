import Foundation
import HubCore
import Hummingbird

/// A note as the API shows it, with its markdown rendered (safe mode) and what the asking user
/// may do with it.
struct NoteResource: ResponseEncodable {
    var id: String
    var title: String
    /// Left out of the answer to a save that was not merged: it is exactly what the client sent,
    /// and echoing a large note back costs more than saving the edit.
    var content: String?
    /// The rendered markdown; left out of the answers to saves.
    var html: String?
    var tags: [String]
    var shared: Bool
    var ownerId: String?
    var author: String
    var lastEditor: String
    var videoId: String?
    var version: Int
    var createdAt: Date
    var updatedAt: Date
    var deletedAt: Date?
    var canEdit: Bool
    var canManage: Bool
    /// On a save: it was based on an older version and merged with what changed since.
    var merged: Bool?

    init(_ note: Note, html: String?, for user: User, merged: Bool? = nil, includingContent: Bool = true) {
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
struct NoteSummaryResource: Encodable {
    var id: String
    var title: String
    var excerpt: String
    var tags: [String]
    var shared: Bool
    var author: String
    var videoId: String?
    var version: Int
    var updatedAt: Date
    var deletedAt: Date?
    var titleHighlight: String?
    var snippet: String?

    init(_ listing: NoteListing) {
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
        titleHighlight = listing.titleHighlight.map(HTMLText.highlight)
        snippet = listing.snippet.map(HTMLText.highlight)
    }
}

struct NoteListResource: ResponseEncodable {
    var items: [NoteSummaryResource]
    var total: Int
    var offset: Int
    var limit: Int
}

struct NoteVersionResource: Encodable {
    var version: Int
    var author: String
    var node: String
    var clock: String
    var summary: String
    var at: Date

    init(_ summary: NoteVersionSummary) {
        version = summary.version
        author = summary.author
        node = summary.stamp.node.rawValue
        clock = summary.stamp.clock.description
        self.summary = summary.summary
        at = summary.stamp.clock.date
    }
}

struct NoteVersionListResource: ResponseEncodable {
    var items: [NoteVersionResource]
}

struct NoteDiffResource: ResponseEncodable {
    struct Line: Encodable {
        /// `same`, `removed` or `added`.
        var kind: String
        var text: String
    }
    var from: Int
    var to: Int
    var lines: [Line]
    /// The diff went on past the lines shown (`TextDiff.lines`' limit).
    var truncated: Bool

    init(from: Int, to: Int, diff: (lines: [TextDiff.Line], truncated: Bool)) {
        let lines = diff.lines
        self.from = from
        self.to = to
        self.truncated = diff.truncated
        self.lines = lines.map { line in
            switch line {
            case .same(let text): Line(kind: "same", text: text)
            case .removed(let text): Line(kind: "removed", text: text)
            case .added(let text): Line(kind: "added", text: text)
            }
        }
    }
}

struct RenderedMarkdown: ResponseEncodable {
    var html: String
}

extension NoteAnalyticsReport: ResponseEncodable {}
