import Foundation
import HubCore
import HubDatabase
import HubSystem
import HubTestSupport
import Logging
import Testing

@testable import HubNotes

/// A notepad on a database's repositories (an in-memory SQLite one unless given) and a
/// temporary mirror directory.
struct TestNotepad {
    let service: NotepadService
    let database: Repositories
    let mirrorDirectory: String
    let clock = SteppingClock()
    let alice = User(id: UserID(), name: "alice", role: .member, passwordHash: "", isDisabled: false, sessionGeneration: 0, createdAt: Date())
    let bob = User(id: UserID(), name: "bob", role: .member, passwordHash: "", isDisabled: false, sessionGeneration: 0, createdAt: Date())
    let admin = User(id: UserID(), name: "root", role: .admin, passwordHash: "", isDisabled: false, sessionGeneration: 0, createdAt: Date())

    init(
        database: Repositories? = nil, node: NodeID = .random(), name: String = "hub-test", maxContentBytes: Int = 1 << 20,
        mirrorDirectory: String? = nil
    ) throws {
        self.database = try database ?? TestDatabase.inMemorySQLite()
        self.mirrorDirectory = mirrorDirectory ?? NSTemporaryDirectory() + "notes-" + UUID().uuidString
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        service = NotepadService(
            notes: self.database.notes, videos: self.database.videos, analytics: self.database.noteAnalytics,
            mirror: try NoteMirror(directory: self.mirrorDirectory, logger: logger), syncLog: self.database.syncLog,
            node: NodeIdentity(id: node, name: name),
            clock: clock, maxContentBytes: maxContentBytes, logger: logger)
    }
}

/// A wall clock that moves forward by hand.
final class SteppingClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_790_000_000)
    func now() -> Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current.addTimeInterval(seconds) } }
}

@Suite struct NotepadServiceTests {
    @Test(arguments: TestDatabase.allCases)
    func createEditAndVersions(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let note = try await pad.service.create(NoteEdit(title: " Plan ", content: "# Plan\nfirst", tags: ["Work", "work", " ideas "]), by: pad.alice)
            #expect(note.title == "Plan")
            #expect(note.tags == ["work", "ideas"])
            #expect(note.version == 1)
            #expect(note.author == "alice@hub-test")
            let edited = try await pad.service.edit(note.id, NoteEdit(content: "# Plan\nfirst\nsecond"), baseVersion: 1, by: pad.alice)
            #expect(edited.note.version == 2)
            #expect(!edited.merged)
            let versions = try await pad.service.versions(of: note.id, for: pad.alice)
            #expect(versions.map(\.version) == [2, 1])
            #expect(try await pad.service.version(1, of: note.id, for: pad.alice).content == "# Plan\nfirst")
            let diff = try await pad.service.diff(of: note.id, from: 1, to: 2, for: pad.alice)
            #expect(diff.lines == [.same("# Plan"), .same("first"), .added("second")] && !diff.truncated)
            await #expect(throws: NoteError.versionNotFound(note.id, latest: 2, asked: 3)) { try await pad.service.version(3, of: note.id, for: pad.alice) }
            // Saving what is already there makes no version.
            #expect(try await pad.service.edit(note.id, NoteEdit(content: "# Plan\nfirst\nsecond"), baseVersion: 2, by: pad.alice).note.version == 2)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func concurrentSavesFromOneVersionAreBothKept(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let note = try await pad.service.create(NoteEdit(title: "Shared", content: "alpha\nbeta\ngamma", shared: true), by: pad.alice)
            async let first = pad.service.edit(note.id, NoteEdit(content: "ALPHA\nbeta\ngamma"), baseVersion: 1, by: pad.alice)
            async let second = pad.service.edit(note.id, NoteEdit(content: "alpha\nbeta\ngamma\ndelta"), baseVersion: 1, by: pad.bob)
            let results = try await [first, second]
            #expect(results.contains { $0.merged })
            let final = try await pad.service.note(note.id, for: pad.alice)
            #expect(final.content == "ALPHA\nbeta\ngamma\ndelta")
            #expect(final.version == 3)
            #expect(final.lastEditor.hasSuffix("@hub-test"))
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aSaveFromAnOldVersionIsMergedNotOverwritten(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let note = try await pad.service.create(NoteEdit(title: "T", content: "Some text <script>alert(1)</script> end"), by: pad.alice)
            _ = try await pad.service.edit(note.id, NoteEdit(content: "Some text edited by A end"), baseVersion: 1, by: pad.alice)
            let merged = try await pad.service.edit(note.id, NoteEdit(title: "T2", content: "Some more text end"), baseVersion: 1, by: pad.alice)
            #expect(merged.merged)
            #expect(merged.note.title == "T2")
            // Both edits are there, with no letters of the replaced span left over. (Which of the
            // two spaces around it B's deletion took is a diff's choice; A kept both.)
            #expect(merged.note.content.replacingOccurrences(of: " ", with: "") == "SomemoretexteditedbyAend")
            // A base version from the future is refused.
            await #expect(throws: NoteError.self) {
                try await pad.service.edit(note.id, NoteEdit(content: "x"), baseVersion: 99, by: pad.alice)
            }
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func accessRules(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let secret = try await pad.service.create(NoteEdit(title: "Diary", content: "private"), by: pad.alice)
            let shared = try await pad.service.create(NoteEdit(title: "Team", content: "shared", shared: true), by: pad.alice)
            // What the web answers 404 (`not_found`) and 403 (`forbidden`).
            func refusal(_ body: () async throws -> Void) async -> String? {
                do {
                    try await body()
                    return nil
                } catch let error as AccessError {
                    return error.code
                } catch {
                    return "\(error)"
                }
            }
            #expect(await refusal { _ = try await pad.service.view(secret.id, for: pad.bob) } == "not_found")
            #expect(await refusal { _ = try await pad.service.edit(secret.id, NoteEdit(content: "x"), baseVersion: nil, by: pad.bob) } == "not_found")
            #expect(await refusal { _ = try await pad.service.view(secret.id, for: pad.admin) } == nil)
            // A shared note: anyone edits it; only its owner (or an admin) unshares or deletes it.
            #expect(await refusal { _ = try await pad.service.edit(shared.id, NoteEdit(content: "shared, edited"), baseVersion: 1, by: pad.bob) } == nil)
            #expect(await refusal { _ = try await pad.service.setShared(shared.id, false, by: pad.bob) } == "forbidden")
            #expect(await refusal { try await pad.service.delete(shared.id, by: pad.bob) } == "forbidden")
            #expect(await refusal { _ = try await pad.service.edit(shared.id, NoteEdit(shared: false), baseVersion: nil, by: pad.bob) } == "forbidden")
            let listedForBob = try await pad.service.list(NoteQuery(visibility: .everything), for: pad.bob)
            #expect(listedForBob.items.map(\.note.id) == [shared.id])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func trashRestoreAndPurge(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let note = try await pad.service.create(NoteEdit(title: "Gone soon", content: "bye", shared: true), by: pad.alice)
            try await pad.service.delete(note.id, by: pad.alice)
            do {
                _ = try await pad.service.edit(note.id, NoteEdit(content: "again"), baseVersion: nil, by: pad.alice)
                Issue.record("editing a deleted note must fail")
            } catch let error as NoteError {
                #expect(error == .deleted(note.id))
                #expect(error.code == "note_deleted")
            }
            do {
                _ = try await pad.service.view(note.id, for: pad.bob)
                Issue.record("a deleted note is hidden")
            } catch let error as AccessError {
                #expect(error == .notFound("note \(note.id)"))
            }
            #expect(try await pad.service.list(NoteQuery(deleted: true, visibility: .everything), for: pad.alice).items.map(\.note.id) == [note.id])
            #expect(try await pad.service.list(NoteQuery(deleted: true, visibility: .everything), for: pad.bob).items.isEmpty)
            let restored = try await pad.service.restore(note.id, by: pad.alice)
            #expect(!restored.isDeleted)
            #expect(restored.content == "bye")
            try await pad.service.delete(note.id, by: pad.alice)
            pad.clock.advance(by: NoteLimits.trashRetention - 60)
            #expect(try await pad.service.purgeTrash() == 0)
            pad.clock.advance(by: 120)
            #expect(try await pad.service.purgeTrash() == 1)
            #expect(try await pad.database.notes.note(note.id) == nil)
            #expect(try await pad.database.notes.changes(of: note.id, through: nil).isEmpty)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aSaveAfterTheClockSteppedBackStillWins(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let before = try TestNotepad(database: repositories)
            let note = try await before.service.create(NoteEdit(title: "Old title", content: "x"), by: before.alice)
            // A restart (a fresh clock) with the wall clock an hour behind.
            let after = try TestNotepad(database: repositories, mirrorDirectory: before.mirrorDirectory)
            after.clock.advance(by: -3_600)
            let saved = try await after.service.edit(note.id, NoteEdit(title: "New title"), baseVersion: 1, by: before.alice)
            #expect(saved.note.title == "New title")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func restoringAVersionMakesANewOne(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let note = try await pad.service.create(NoteEdit(title: "V", content: "one", tags: ["a"]), by: pad.alice)
            _ = try await pad.service.edit(note.id, NoteEdit(title: "V2", content: "two", tags: ["b"]), baseVersion: 1, by: pad.alice)
            let restored = try await pad.service.restore(version: 1, of: note.id, by: pad.alice)
            #expect(restored.version == 3)
            #expect(restored.content == "one" && restored.title == "V" && restored.tags == ["a"])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func limitsAndValidation(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories, maxContentBytes: 1_000)
            await #expect(throws: NoteError.tooLarge(limit: 1_000)) {
                try await pad.service.create(NoteEdit(title: "Big", content: String(repeating: "x", count: 1_001)), by: pad.alice)
            }
            for title in ["", "   ", String(repeating: "t", count: 201), "two\nlines"] {
                await #expect(throws: InvalidInput.self) { try await pad.service.create(NoteEdit(title: title, content: "x"), by: pad.alice) }
            }
            await #expect(throws: InvalidInput.self) {
                try await pad.service.create(NoteEdit(title: "Tags", tags: (0..<21).map { "t\($0)" }), by: pad.alice)
            }
            let untitled = try await pad.service.create(NoteEdit(content: "## Meeting notes\nbody"), by: pad.alice)
            #expect(untitled.title == "Meeting notes")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func searchRanksHighlightsAndIsSafe(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            _ = try await pad.service.create(NoteEdit(title: "Kubernetes upgrade", content: "Steps for the cluster.", tags: ["ops"], shared: true), by: pad.alice)
            _ = try await pad.service.create(NoteEdit(title: "Lunch", content: "We talked about kubernetes briefly.", shared: true), by: pad.alice)
            _ = try await pad.service.create(NoteEdit(title: "Private kubernetes", content: "mine"), by: pad.alice)
            _ = try await pad.service.create(NoteEdit(title: "Café", content: "naïve résumé"), by: pad.bob)
            let results = try await pad.service.list(NoteQuery(text: "kube", visibility: .everything), for: pad.bob)
            #expect(results.items.map(\.note.title) == ["Kubernetes upgrade", "Lunch"], "title matches first; private notes hidden")
            let top = try #require(results.items.first)
            #expect(top.titleHighlight == "\(NoteHighlight.start)Kubernetes\(NoteHighlight.end) upgrade")
            #expect(results.items[1].snippet?.contains("\(NoteHighlight.start)kubernetes\(NoteHighlight.end)") == true)
            #expect(try await pad.service.list(NoteQuery(text: "cafe resume", visibility: .everything), for: pad.bob).total == 1)
            #expect(try await pad.service.list(NoteQuery(text: "x", tag: "ops", visibility: .everything), for: pad.bob).total == 0)
            #expect(try await pad.service.list(NoteQuery(tag: "ops", visibility: .everything), for: pad.bob).total == 1)
            for hostile in ["\"", "kube*\" OR \"", "title:lunch", "NEAR(a b)", "'; DROP TABLE note; --", "a AND", ")", "^", "-", "*", "\u{0}"] {
                _ = try await pad.service.list(NoteQuery(text: hostile, visibility: .everything), for: pad.bob)
            }
            #expect(try await pad.database.notes.allIDs(includingDeleted: true).count == 4, "the table is still there")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func broadSearchesRankTheNewestThousandMatches(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            for index in 0..<1_010 {
                let special = index < 5 ? " special" : ""
                _ = try await pad.service.create(NoteEdit(title: "Note \(index)\(special)", content: "common words", shared: true), by: pad.alice)
            }
            let broad = try await pad.service.list(NoteQuery(text: "common", visibility: .everything, limit: 20), for: pad.bob)
            #expect(broad.total == 1_000, "counted up to the ranking limit")
            #expect(!broad.items.contains { $0.note.title.hasSuffix("special") }, "the oldest matches are past the window")
            let narrow = try await pad.service.list(NoteQuery(text: "special common", visibility: .everything), for: pad.bob)
            #expect(narrow.total == 5, "a narrower search ranks all its matches, old ones included")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func analyticsCountViewsEditsAndSearches(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let a = try await pad.service.create(NoteEdit(title: "Popular", content: "x", tags: ["t1", "t2"], shared: true), by: pad.alice)
            let b = try await pad.service.create(NoteEdit(title: "Quiet", content: "y", tags: ["t1"], shared: true), by: pad.alice)
            let hidden = try await pad.service.create(NoteEdit(title: "Hidden", content: "z", tags: ["secret"]), by: pad.alice)
            for _ in 0..<3 { _ = try await pad.service.view(a.id, for: pad.bob) }
            _ = try await pad.service.view(b.id, for: pad.bob)
            for _ in 0..<5 { _ = try await pad.service.view(hidden.id, for: pad.alice) }
            _ = try await pad.service.edit(b.id, NoteEdit(content: "yy"), baseVersion: nil, by: pad.bob)
            _ = try await pad.service.list(NoteQuery(text: "popular", visibility: .everything), for: pad.bob)
            _ = try await pad.service.list(NoteQuery(text: "nothing-here", visibility: .everything), for: pad.bob)
            _ = try await pad.service.list(NoteQuery(text: "Nothing-Here ", visibility: .everything), for: pad.bob)
            let report = try await pad.service.analyticsReport(for: pad.bob)
            #expect(report.mostViewed.map(\.title) == ["Popular", "Quiet"], "bob cannot see alice's private note")
            #expect(report.mostViewed.first?.count == 3)
            #expect(report.mostEdited.first?.title == "Quiet")
            #expect(report.topTags.first == .init(term: "t1", count: 2))
            #expect(!report.topTags.contains { $0.term == "secret" })
            #expect(report.topSearches.first?.query == "nothing-here" && report.topSearches.first?.count == 2)
            #expect(report.unansweredSearches.map(\.query) == ["nothing-here"])
            #expect(report.activity.count == 30)
            #expect(report.totals.views == 4 && report.totals.searches == 3)
            let adminReport = try await pad.service.analyticsReport(for: pad.admin)
            #expect(adminReport.mostViewed.first?.title == "Hidden")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func sharedNotesAreMirroredAsFiles(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let pad = try TestNotepad(database: repositories)
            let shared = try await pad.service.create(NoteEdit(title: "Mirrored", content: "on disk", shared: true), by: pad.alice)
            let secret = try await pad.service.create(NoteEdit(title: "Not mirrored", content: "never"), by: pad.alice)
            await pad.service.mirror.flush()
            let path = pad.service.mirror.path(of: shared.id)
            let file = try NoteFile.decoder.decode(NoteFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(file.title == "Mirrored" && file.version == 1 && file.content == "on disk")
            #expect(!FileManager.default.fileExists(atPath: pad.service.mirror.path(of: secret.id)))
            _ = try await pad.service.setShared(shared.id, false, by: pad.alice)
            await pad.service.journal.flush()
            await pad.service.mirror.flush()
            #expect(!FileManager.default.fileExists(atPath: path), "unsharing removes the file")
            let log = try NoteFile.decoder.decode(
                [SyncLogEntry].self, from: Data(contentsOf: URL(fileURLWithPath: pad.mirrorDirectory + "/sync_log.json")))
            #expect(log.map(\.summary) == ["content +7 −0, title, shared", "unshared"])
            #expect(PosixPath.contents(of: pad.mirrorDirectory + "/notes").allSatisfy { !$0.hasSuffix(".tmp") })
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aRestartRewritesWhatTheMirrorMissed(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let before = try TestNotepad(database: repositories)
            let note = try await before.service.create(NoteEdit(title: "Unflushed", content: "saved, not yet mirrored", shared: true), by: before.alice)
            // The process dies before the mirror's flush: a new one on the same database and
            // directory catches up.
            let after = try TestNotepad(database: repositories, mirrorDirectory: before.mirrorDirectory)
            try await after.service.reconcileMirror()
            let path = after.service.mirror.path(of: note.id)
            let file = try NoteFile.decoder.decode(NoteFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(file.version == 1 && file.content == "saved, not yet mirrored")
            #expect(await after.service.mirror.lastFlush != nil)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func mergingChangesFromAnotherHubIsIdempotent(database: TestDatabase) async throws {
        try await database.withRepositories { hereDatabase in
            try await database.withRepositories { thereDatabase in
                let here = try TestNotepad(database: hereDatabase, name: "hub-here")
                let there = try TestNotepad(database: thereDatabase, name: "hub-there")
                let note = try await there.service.create(NoteEdit(title: "Travels", content: "from there", shared: true), by: there.alice)
                _ = try await there.service.edit(note.id, NoteEdit(content: "from there, edited"), baseVersion: 1, by: there.alice)
                let changes = try await there.database.notes.changes(of: note.id, through: nil)
                #expect(try await here.service.merge(changes, owner: here.alice.id) == 2)
                #expect(try await here.service.merge(changes, owner: here.alice.id) == 0)
                // Both sides edit; exchanging the changes converges.
                _ = try await here.service.edit(note.id, NoteEdit(content: "Here: from there, edited"), baseVersion: 2, by: here.alice)
                _ = try await there.service.edit(note.id, NoteEdit(content: "from there, edited. There."), baseVersion: 2, by: there.alice)
                _ = try await here.service.merge(try await there.database.notes.changes(of: note.id, through: nil), owner: nil)
                _ = try await there.service.merge(try await here.database.notes.changes(of: note.id, through: nil), owner: nil)
                let mine = try await here.service.note(note.id, for: here.alice)
                let theirs = try await there.service.note(note.id, for: there.alice)
                #expect(mine.content == theirs.content)
                #expect(mine.content == "Here: from there, edited. There.")
                #expect(mine.version == 4 && theirs.version == 4)
            }
        }
    }
}
