import Foundation
import HubCore
import Logging
import PostgresNIO

/// `NoteAnalyticsRepository` on the `note_event` table: one row per view, edit or search.
public struct PostgresNoteAnalyticsRepository: NoteAnalyticsRepository {
    let client: PostgresPool
    let logger: Logger

    public func record(_ events: [(NoteEvent, Date)]) async throws {
        // Six parameters an event; a flush of a busy minute stays far below PostgreSQL's 65,535.
        for start in stride(from: 0, to: events.count, by: 5_000) {
            var statement = PostgresStatement()
            let values = events[start..<min(start + 5_000, events.count)].map { event, date in
                let (kind, note, user, query, results): (String, NoteID?, UserID?, String?, Int?) = switch event {
                case .viewed(let note, let user): ("view", note, user, nil, nil)
                case .edited(let note, let user): ("edit", note, user, nil, nil)
                case .searched(let query, let results, let user): ("search", nil, user, query, results)
                }
                let columns = [
                    statement.bind(kind), statement.bind(note?.rawValue), statement.bind(user?.rawValue), statement.bind(query),
                    statement.bind(results), statement.bind(date),
                ]
                return "(" + columns.joined(separator: ", ") + ")"
            }
            try await client.execute(
                statement.query("INSERT INTO note_event (kind, note_id, user_id, query, results, at) VALUES " + values.joined(separator: ", ")),
                logger: logger)
        }
    }

    public func report(visibility: Visibility, searchesBy user: UserID?, since: Date, until: Date) async throws -> NoteAnalyticsReport {
        // Each statement binds only the values it uses.
        func visible(_ statement: inout PostgresStatement) -> String {
            guard case .ownedOrShared(let viewer) = visibility else { return "note.deleted_at IS NULL" }
            return "note.deleted_at IS NULL AND (note.owner_id = \(statement.bind(viewer.rawValue)) OR note.shared)"
        }
        func searches(_ statement: inout PostgresStatement) -> String {
            var filter = "kind = 'search' AND at >= \(statement.bind(since)) AND at < \(statement.bind(until))"
            if let user { filter += " AND user_id = \(statement.bind(user.rawValue))" }
            return filter
        }
        func notes(_ kind: String) async throws -> [NoteAnalyticsReport.NoteCount] {
            var statement = PostgresStatement()
            let sql = """
                SELECT note.id, note.title, COUNT(*) AS count FROM note_event JOIN note ON note.id = note_event.note_id
                WHERE note_event.kind = \(statement.bind(kind)) AND note_event.at >= \(statement.bind(since))
                    AND note_event.at < \(statement.bind(until)) AND \(visible(&statement))
                GROUP BY note.id ORDER BY count DESC, note.title LIMIT 10
                """
            return try await client.rows(statement.query(sql), logger: logger).map {
                .init(id: try $0.value("id"), title: try $0.value("title"), count: try $0.value("count"))
            }
        }
        func searchCounts(unanswered: Bool) async throws -> [NoteAnalyticsReport.SearchCount] {
            var statement = PostgresStatement()
            // The latest answer to each search: how many results it found the last time.
            let sql = """
                SELECT term, count, results FROM (
                    SELECT lower(btrim(query)) AS term, COUNT(*) AS count, (array_agg(results ORDER BY at DESC))[1] AS results
                    FROM note_event WHERE \(searches(&statement)) GROUP BY term) AS counted
                \(unanswered ? "WHERE results = 0" : "") ORDER BY count DESC, term LIMIT 10
                """
            return try await client.rows(statement.query(sql), logger: logger).map {
                .init(query: try $0.value("term"), count: try $0.value("count"), lastResults: try $0.value("results", as: Int?.self) ?? 0)
            }
        }
        var tags = PostgresStatement()
        let tagsSQL = """
            SELECT note_tag.tag, COUNT(*) AS count FROM note_tag JOIN note ON note.id = note_tag.note_id
            WHERE \(visible(&tags)) GROUP BY note_tag.tag ORDER BY count DESC, note_tag.tag LIMIT 15
            """
        let topTags = try await client.rows(tags.query(tagsSQL), logger: logger).map {
            NoteAnalyticsReport.TermCount(term: try $0.value("tag"), count: try $0.value("count"))
        }

        var activityStatement = PostgresStatement()
        let activitySQL = """
            SELECT to_char(note_event.at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, note_event.kind, COUNT(*) AS count
            FROM note_event JOIN note ON note.id = note_event.note_id
            WHERE note_event.kind IN ('view', 'edit') AND note_event.at >= \(activityStatement.bind(since))
                AND note_event.at < \(activityStatement.bind(until)) AND \(visible(&activityStatement))
            GROUP BY day, note_event.kind
            UNION ALL
            SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, kind, COUNT(*) FROM note_event
            WHERE \(searches(&activityStatement)) GROUP BY day, kind
            """
        // Views and edits of notes the user may see, and the searches counted above, by UTC day.
        let counts = try await client.rows(activityStatement.query(activitySQL), logger: logger).map { row in
            (day: try row.value("day", as: String.self), kind: try row.value("kind", as: String.self), count: try row.value("count", as: Int.self))
        }
        let (activity, totals) = NoteAnalyticsReport.activity(counts, from: since, to: until)
        return NoteAnalyticsReport(
            mostViewed: try await notes("view"), mostEdited: try await notes("edit"), topTags: topTags,
            topSearches: try await searchCounts(unanswered: false), unansweredSearches: try await searchCounts(unanswered: true),
            activity: activity, totals: totals)
    }
}
