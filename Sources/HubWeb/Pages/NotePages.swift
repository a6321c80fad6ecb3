import Foundation
import HubCore

/// A note as its pages show it (the note, its editor, its history).
struct NoteView: Sendable {
    var id: String
    var title: String
    var content: String
    var tags: [String]
    var tagList: String
    var shared: Bool
    var author: String
    var lastEditor: String
    var version: Int
    var createdAt: String
    var updatedAt: String
    var bodyHTML: TrustedHTML
    var videoId: String?
    /// In the editor: the title of the video a new note is about.
    var videoTitle: String?
    var canEdit: Bool
    var canManage: Bool
    var isNew: Bool

    init(_ note: Note, html: String, for user: User) {
        id = note.id.rawValue
        title = note.title
        content = note.content
        tags = note.tags
        tagList = note.tags.joined(separator: ", ")
        shared = note.isShared
        author = note.author
        lastEditor = note.lastEditor
        version = note.version
        createdAt = note.createdAt.formatted(.iso8601)
        updatedAt = note.updatedAt.formatted(.iso8601)
        bodyHTML = TrustedHTML(rendered: html)
        videoId = note.videoID?.rawValue
        canEdit = AccessPolicy.allows(user, to: .contribute, note)
        canManage = AccessPolicy.allows(user, to: .modify, note)
        isNew = false
    }

    /// The editor of a note not yet made.
    init(newAbout video: Video?) {
        id = ""
        title = ""
        content = ""
        tags = []
        tagList = ""
        shared = false
        author = ""
        lastEditor = ""
        version = 0
        createdAt = ""
        updatedAt = ""
        bodyHTML = TrustedHTML(rendered: "")
        videoId = video?.id.rawValue
        videoTitle = video?.title
        canEdit = true
        canManage = true
        isNew = true
    }
}

/// `/notes`: a tab of notes (all, mine, community, trash), searched or filtered by tag.
struct NotesPage: PageView {
    static let template = "notes"

    struct Tab: Sendable {
        var key: String
        var label: String
        var current: Bool
        var href: String
    }

    struct Item: Sendable {
        var id: String
        var title: String
        var titleHTML: TrustedHTML
        var snippetHTML: TrustedHTML
        var tags: [String]
        var shared: Bool
        var author: String
        var version: Int
        var updatedAt: String
        var deleted: Bool
    }

    var pageTitle: String
    var query: String
    var tag: String?
    var view: String
    var tabs: [Tab]
    var notes: [Item]
    var isEmpty: Bool
    var total: Int
    var trash: Bool
    var previousPage: String?
    var nextPage: String?
}

/// `/notes/{id}`.
struct NotePage: PageView {
    static let template = "note"

    struct VideoLink: Sendable {
        var id: String
        var title: String
    }

    var pageTitle: String
    var note: NoteView
    var video: VideoLink?
}

/// `/notes/new` and `/notes/{id}/edit`.
struct NoteEditPage: PageView {
    static let template = "note-edit"
    var pageTitle: String
    var editor: NoteView
}

/// `/notes/{id}/history`: the versions, a diff between two, and one version shown.
struct NoteHistoryPage: PageView {
    static let template = "note-history"

    struct Version: Sendable {
        var version: Int
        var author: String
        var summary: String
        var at: String
        var isFrom: Bool
        var isTo: Bool
    }

    struct DiffLine: Sendable {
        var kind: String
        var sign: String
        var text: String
    }

    struct Shown: Sendable {
        var version: Int
        var title: String
        var bodyHTML: TrustedHTML
        var canRestore: Bool
    }

    var pageTitle: String
    var note: NoteView
    var versions: [Version]
    var from: Int
    var to: Int
    var diff: [DiffLine]
    var unchanged: Bool
    var diffTruncated: Bool
    var shown: Shown?
}

/// `/notes/analytics`.
struct AnalyticsPage: PageView {
    static let template = "analytics"

    struct NoteRow: Sendable {
        var id: String
        var title: String
        var count: Int
    }

    struct TagRow: Sendable {
        var term: String
        var count: Int
    }

    struct SearchRow: Sendable {
        var query: String
        var count: Int
        var results: Int
    }

    struct Totals: Sendable {
        var views: Int
        var edits: Int
        var searches: Int
    }

    var pageTitle = "Notes analytics"
    var mostViewed: [NoteRow]
    var mostEdited: [NoteRow]
    var topTags: [TagRow]
    var topSearches: [SearchRow]
    var unanswered: [SearchRow]
    var chartHTML: TrustedHTML
    var totals: Totals
    var searchScope: String
}
