import Foundation
import HubCore
import HubTestSupport
import Testing

@testable import HubNotes

/// Notes search on PostgreSQL is as good as on SQLite: one corpus, one set of queries, the same
/// matches counted and the same note on top on both databases.
///
/// The corpus is built so that relevance is not a matter of taste: each topic word is in one
/// note's title, a few notes' tags and many notes' content, so any sane ranking (FTS5's bm25,
/// PostgreSQL's ts_rank) puts the title note first; the counts test that both read the same
/// words out of the same text (prefixes, diacritics, punctuation, addresses).
@Suite struct SearchParityTests {
    static let topics = [
        "kubernetes", "zeppelin", "café", "résumé", "naïve", "piñata", "façade", "über", "garçon", "smörgåsbord",
        "quartz", "nebula", "glacier", "harbour", "lantern", "meadow", "orchid", "pylon", "quiver", "saffron",
    ]
    static let filler = [
        "the", "plan", "for", "team", "notes", "meeting", "draft", "review", "2026", "v1.5", "e-mail", "don't", "<script>", "a<b",
        "</div>", "&amp;", "**bold**", "[link](https://example.org/path_to?x=1)",
    ]

    struct Result: Equatable {
        var total: Int
        var top: String?
    }

    static func corpus(into pad: TestNotepad) async throws {
        var random = SplitMix64(seed: 15)
        for (index, topic) in topics.enumerated() {
            let handbook = try await pad.service.create(
                NoteEdit(title: "\(topic.capitalized) handbook", content: "All about \(topic).", tags: ["guide"], shared: true), by: pad.alice)
            // An edit: what a save changes is searched, not only what a note was made with.
            _ = try await pad.service.edit(
                handbook.id, NoteEdit(content: "All about \(topic). <b>Revised</b> edition."), baseVersion: 1, by: pad.alice)
            for copy in 0..<3 {
                let words = (0..<12).map { _ in filler[Int(random.next() % UInt64(filler.count))] }.joined(separator: " ")
                let mentioned = topics[(index + copy + 1) % topics.count]
                _ = try await pad.service.create(
                    NoteEdit(
                        title: "Notes \(index)-\(copy)", content: "\(words) \(mentioned) \(words). Mail bob@\(mentioned.prefix(4)).example.com",
                        tags: copy == 0 ? [topic] : ["misc"], shared: true),
                    by: pad.alice)
            }
        }
    }

    /// Queries with one best note: the same note must be on top on both databases.
    static let rankedQueries = [
        "kubernetes", "kube", "zep", "cafe", "CAFÉ", "resume", "naive", "pinata", "facade", "uber", "garcon", "smorgas",
        "quartz handbook", "harb", "\"quiver\"", "saffron*", "(lantern)", "nomatch", "nebula glacier", "meadow orchid pylon",
    ]
    /// Queries matching many notes equally (a word in every handbook, in every address): only
    /// how many match must agree, as equal ranks may be listed in any order.
    static let countedQueries = [
        "example", "example.com", "bob@", "mail", "e-mail", "don", "v1", "2026", "handbook", "guide", "script", "div", "amp",
        "bold", "link", "org", "path", "x", "revised edition",
    ]
    static let queries = rankedQueries + countedQueries

    @Test func sameCorpusSameQueriesSameAnswers() async throws {
        var answers: [TestDatabase: [String: Result]] = [:]
        for database in TestDatabase.allCases {
            answers[database] = try await database.withRepositories { repositories in
                let pad = try TestNotepad(database: repositories)
                try await Self.corpus(into: pad)
                var results: [String: Result] = [:]
                for query in Self.queries {
                    let page = try await pad.service.list(NoteQuery(text: query, visibility: .everything, limit: 5), for: pad.bob)
                    results[query] = Result(total: page.total, top: page.items.first?.note.title)
                }
                return results
            }
        }
        let (sqlite, postgres) = (try #require(answers[.sqlite]), try #require(answers[.postgres]))
        for query in Self.rankedQueries {
            #expect(sqlite[query] == postgres[query], "\(query): SQLite \(String(describing: sqlite[query])), PostgreSQL \(String(describing: postgres[query]))")
        }
        for query in Self.countedQueries {
            #expect(sqlite[query]?.total == postgres[query]?.total, "\(query)")
            #expect(sqlite[query]?.total ?? 0 > 0, "\(query)")
        }
        // The title note is first wherever a topic is asked for, on both.
        #expect(sqlite["kube"]?.top == "Kubernetes handbook")
        #expect(sqlite["cafe"]?.top == "Café handbook")
        #expect(sqlite["nomatch"]?.total == 0)
    }
}
