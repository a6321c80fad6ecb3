import Foundation
import GRDB
import HubCore

/// `NoteAnalyticsRepository` on the `noteEvent` table: one row per view, edit or search.
public struct SQLiteNoteAnalyticsRepository: NoteAnalyticsRepository {
    let writer: any DatabaseWriter

    public func record(_ events: [(NoteEvent, Date)]) async throws {
        guard !events.isEmpty else { return }
        try await writer.write { db in
            let statement = try db.cachedStatement(
                sql: "INSERT INTO noteEvent (kind, noteID, userID, query, results, at) VALUES (?, ?, ?, ?, ?, ?)")
            for (event, date) in events {
                switch event {
                case .viewed(let note, let user):
                    try statement.execute(arguments: ["view", note.rawValue, user?.rawValue, nil, nil, date])
                case .edited(let note, let user):
                    try statement.execute(arguments: ["edit", note.rawValue, user?.rawValue, nil, nil, date])
                case .searched(let query, let results, let user):
                    try statement.execute(arguments: ["search", nil, user?.rawValue, query, results, date])
                }
            }
        }
    }

    public func report(visibility: Visibility, searchesBy user: UserID?, since: Date, until: Date) async throws -> NoteAnalyticsReport {
        var visible = "note.deletedAt IS NULL"
        var visibleArguments: StatementArguments = []
        if case .ownedOrShared(let viewer) = visibility {
            visible += " AND (note.ownerID = ? OR note.shared = 1)"
            visibleArguments = [viewer.rawValue]
        }
        var searchFilter = "kind = 'search' AND at >= ? AND at < ?"
        var searchArguments: StatementArguments = [since, until]
        if let user {
            searchFilter += " AND userID = ?"
            _ = searchArguments.append(contentsOf: [user.rawValue])
        }
        let (visibleFilter, noteArguments, searches, searchesArguments) = (visible, visibleArguments, searchFilter, searchArguments)
        return try await writer.read { db in
            func notes(_ kind: String) throws -> [NoteAnalyticsReport.NoteCount] {
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT note.id, note.title, COUNT(*) AS count FROM noteEvent JOIN note ON note.id = noteEvent.noteID
                        WHERE noteEvent.kind = ? AND noteEvent.at >= ? AND noteEvent.at < ? AND \(visibleFilter)
                        GROUP BY note.id ORDER BY count DESC, note.title LIMIT 10
                        """,
                    arguments: [kind, since, until] + noteArguments
                ).map { NoteAnalyticsReport.NoteCount(id: $0["id"], title: $0["title"], count: $0["count"]) }
            }
            func searchCounts(having: String) throws -> [NoteAnalyticsReport.SearchCount] {
                // SQLite takes the bare `results` from the row holding MAX(at): the latest answer.
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT lower(trim(query)) AS term, COUNT(*) AS count, results, MAX(at) FROM noteEvent
                        WHERE \(searches) GROUP BY term \(having) ORDER BY count DESC, term LIMIT 10
                        """,
                    arguments: searchesArguments
                ).map { NoteAnalyticsReport.SearchCount(query: $0["term"], count: $0["count"], lastResults: $0["results"] ?? 0) }
            }
            let topTags = try Row.fetchAll(
                db,
                sql: """
                    SELECT noteTag.tag, COUNT(*) AS count FROM noteTag JOIN note ON note.id = noteTag.noteID
                    WHERE \(visibleFilter) GROUP BY noteTag.tag ORDER BY count DESC, noteTag.tag LIMIT 15
                    """,
                arguments: noteArguments
            ).map { NoteAnalyticsReport.TermCount(term: $0["tag"], count: $0["count"]) }

            // Views and edits of notes the user may see, and the searches counted above, by day.
            let counts = try Row.fetchAll(
                db,
                sql: """
                    SELECT date(noteEvent.at) AS day, noteEvent.kind, COUNT(*) AS count FROM noteEvent JOIN note ON note.id = noteEvent.noteID
                    WHERE noteEvent.kind IN ('view', 'edit') AND noteEvent.at >= ? AND noteEvent.at < ? AND \(visibleFilter)
                    GROUP BY day, noteEvent.kind
                    UNION ALL
                    SELECT date(at) AS day, kind, COUNT(*) FROM noteEvent WHERE \(searches) GROUP BY day
                    """,
                arguments: [since, until] + noteArguments + searchesArguments
            ).map { row in (day: row["day"] as String, kind: row["kind"] as String, count: row["count"] as Int) }
            let (activity, totals) = NoteAnalyticsReport.activity(counts, from: since, to: until)
            return NoteAnalyticsReport(
                mostViewed: try notes("view"), mostEdited: try notes("edit"), topTags: topTags,
                topSearches: try searchCounts(having: ""), unansweredSearches: try searchCounts(having: "HAVING results = 0"),
                activity: activity, totals: totals)
        }
    }
}
