import Foundation
import HubAPI
import HubCore
import HubMedia
import HubNotes
import Hummingbird

/// The notepad's pages: the list and community view with search and tag filters, a note, the
/// editor with live preview, the history with diffs, and analytics. Like every page they only
/// read; saves go through the JSON API from `notes.js`.
struct NotePageController: Sendable {
    let notepad: NotepadService
    let videos: VideoService
    let renderer: PageRenderer

    /// The most diff lines the history page shows (the API gives up to 20,000).
    static let diffLines = 5_000

    func addRoutes(to router: RouterGroup<SignedInPageContext>) {
        router.get("notes", use: list)
        router.get("notes/new", use: new)
        router.get("notes/analytics", use: analytics)
        router.get("notes/:id", use: show)
        router.get("notes/:id/edit", use: edit)
        router.get("notes/:id/history", use: history)
    }

    /// `view`: `all` (what the user may see), `mine`, `community` (shared) or `trash`.
    @Sendable func list(_ request: Request, context: SignedInPageContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let text = try parameters.searchText() ?? ""
        let tag = parameters["tag"].map { $0.lowercased() }
        let view = parameters["view"].map(String.init) ?? "all"
        let page = try parameters.integer("page", default: 1, in: QueryBounds.page)
        let pageSize = 30
        var query = NoteQuery(
            text: text, tag: tag, deleted: view == "trash", visibility: AccessPolicy.visibility(for: context.user),
            offset: (page - 1) * pageSize, limit: pageSize)
        if view == "mine" { query.owner = context.user.id }
        if view == "community" { query.shared = true }
        let result = try await notepad.list(query, for: context.user)
        func link(page: Int) -> String {
            var components = URLComponents()
            components.queryItems = [
                URLQueryItem(name: "view", value: view), URLQueryItem(name: "q", value: text.isEmpty ? nil : text),
                URLQueryItem(name: "tag", value: tag), URLQueryItem(name: "page", value: String(page)),
            ].filter { $0.value != nil }
            return "/notes" + (components.string ?? "")
        }
        let tabs = [("all", "All notes"), ("mine", "My notes"), ("community", "Community"), ("trash", "Trash")].map { key, label in
            NotesPage.Tab(key: key, label: label, current: key == view, href: "/notes?view=\(key)")
        }
        let notes = result.items.map { listing in
            let note = listing.note
            return NotesPage.Item(
                id: note.id.rawValue, title: note.title,
                titleHTML: TrustedHTML(rendered: listing.titleHighlight.map(HTMLText.highlight) ?? HTMLText.escape(note.title)),
                snippetHTML: TrustedHTML(rendered: listing.snippet.map(HTMLText.highlight) ?? HTMLText.escape(note.content)),
                tags: note.tags, shared: note.isShared, author: note.author, version: note.version,
                updatedAt: note.updatedAt.formatted(.iso8601), deleted: note.deletedAt != nil)
        }
        let listing = NotesPage(
            pageTitle: text.isEmpty ? "Notes" : "Notes: \(text)", query: text, tag: tag, view: view, tabs: tabs, notes: notes,
            isEmpty: notes.isEmpty, total: result.total, trash: view == "trash", previousPage: page > 1 ? link(page: page - 1) : nil,
            nextPage: page * pageSize < result.total ? link(page: page + 1) : nil)
        return renderer.page(listing, for: context.identity)
    }

    @Sendable func show(_ request: Request, context: SignedInPageContext) async throws -> Response {
        guard let note = try await page(for: context, { try await notepad.view($0, for: context.user) }) else {
            return notFound(context)
        }
        var video: NotePage.VideoLink?
        if let id = note.videoID, let found = try? await videos.video(id.rawValue, for: context.user, may: .view) {
            video = .init(id: found.id.rawValue, title: found.title)
        }
        return renderer.page(NotePage(pageTitle: note.title, note: await view(of: note, for: context.user), video: video), for: context.identity)
    }

    @Sendable func new(_ request: Request, context: SignedInPageContext) async throws -> Response {
        var video: Video?
        if let raw = request.uri.queryParameters["video"] { video = try? await videos.video(String(raw), for: context.user, may: .view) }
        return renderer.page(NoteEditPage(pageTitle: "New note", editor: NoteView(newAbout: video)), for: context.identity)
    }

    @Sendable func edit(_ request: Request, context: SignedInPageContext) async throws -> Response {
        guard let note = try await page(for: context, { try await notepad.note($0, for: context.user) }) else { return notFound(context) }
        return renderer.page(NoteEditPage(pageTitle: "Edit: \(note.title)", editor: await view(of: note, for: context.user)), for: context.identity)
    }

    /// The versions, newest first; with `from` and `to`, the line diff between them; with
    /// `version`, that version rendered, with a button to restore it.
    @Sendable func history(_ request: Request, context: SignedInPageContext) async throws -> Response {
        guard let note = try await page(for: context, { try await notepad.note($0, for: context.user) }) else { return notFound(context) }
        let parameters = request.uri.queryParameters
        let versions = try await notepad.versions(of: note.id, for: context.user)
        let to = min(try parameters.integer("to", default: note.version, in: QueryBounds.version), note.version)
        let from = min(try parameters.integer("from", default: max(to - 1, 1), in: QueryBounds.version), note.version)
        // A page shows fewer lines than the API returns: each is a row the template renders.
        let (lines, truncated) = try await notepad.diff(of: note.id, from: from, to: to, limit: Self.diffLines, for: context.user)
        var shown: NoteHistoryPage.Shown?
        if let number = try parameters.integer("version", in: QueryBounds.version), number <= note.version {
            let old = try await notepad.version(number, of: note.id, for: context.user)
            shown = .init(
                version: number, title: old.title, bodyHTML: TrustedHTML(rendered: await notepad.html.of(old)),
                canRestore: AccessPolicy.allows(context.user, to: .contribute, note) && number != note.version)
        }
        let diff = lines.map { line in
            switch line {
            case .same(let text): NoteHistoryPage.DiffLine(kind: "same", sign: " ", text: text)
            case .removed(let text): NoteHistoryPage.DiffLine(kind: "removed", sign: "−", text: text)
            case .added(let text): NoteHistoryPage.DiffLine(kind: "added", sign: "+", text: text)
            }
        }
        let rows = versions.map { version in
            NoteHistoryPage.Version(
                version: version.version, author: version.author, summary: version.summary, at: version.stamp.clock.date.formatted(.iso8601),
                isFrom: version.version == from, isTo: version.version == to)
        }
        let page = NoteHistoryPage(
            pageTitle: "History: \(note.title)", note: await view(of: note, for: context.user), versions: rows, from: from, to: to,
            diff: diff, unchanged: !lines.contains { if case .same = $0 { false } else { true } }, diffTruncated: truncated, shown: shown)
        return renderer.page(page, for: context.identity)
    }

    @Sendable func analytics(_ request: Request, context: SignedInPageContext) async throws -> Response {
        let report = try await notepad.analyticsReport(for: context.user)
        let page = AnalyticsPage(
            mostViewed: report.mostViewed.map(Self.row), mostEdited: report.mostEdited.map(Self.row),
            topTags: report.topTags.map { .init(term: $0.term, count: $0.count) }, topSearches: report.topSearches.map(Self.row),
            unanswered: report.unansweredSearches.map(Self.row), chartHTML: TrustedHTML(rendered: LineChart.activity(report.activity).svg),
            totals: .init(views: report.totals.views, edits: report.totals.edits, searches: report.totals.searches),
            searchScope: context.user.isAdmin ? "everyone's searches" : "your searches")
        return renderer.page(page, for: context.identity)
    }

    // MARK: - Helpers

    private static func row(_ count: NoteAnalyticsReport.NoteCount) -> AnalyticsPage.NoteRow {
        .init(id: count.id, title: count.title, count: count.count)
    }

    private static func row(_ count: NoteAnalyticsReport.SearchCount) -> AnalyticsPage.SearchRow {
        .init(query: count.query, count: count.count, results: count.lastResults)
    }

    func view(of note: Note, for user: User) async -> NoteView {
        NoteView(note, html: await notepad.html.of(note), for: user)
    }

    /// The note a page is about, or nil for a missing, invisible or deleted one (an error page).
    private func page(for context: SignedInPageContext, _ load: (NoteID) async throws -> Note) async throws -> Note? {
        guard let id = context.parameters.get("id").flatMap(NoteID.init) else { return nil }
        do {
            return try await load(id)
        } catch let error where APIError(error).status == .notFound {
            return nil
        }
    }

    private func notFound(_ context: SignedInPageContext) -> Response {
        renderer.page(
            ErrorPage(pageTitle: "Not found", heading: "Note not found", message: "It may have been deleted, or it is private."),
            for: context.identity, status: .notFound)
    }
}
