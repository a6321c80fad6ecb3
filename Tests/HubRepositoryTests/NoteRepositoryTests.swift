import Foundation
import HubCore
import HubTestSupport
import Testing

/// `NoteRepository` at its own level, the same on every database: what the notepad's service
/// tests (run on both) do not reach directly — versions taken by two writers at once, batches
/// all or none, digests, the change feed and the purge.
@Suite struct NoteRepositoryTests {
    static let node = NodeID.random()

    /// A note at `version` made of `operations`, as a service would record it.
    static func note(_ id: NoteID, title: String, version: Int, shared: Bool = false, deletedAt: Date? = nil) -> Note {
        Note(
            id: id, title: title, content: "content of \(title)", tags: ["t"], ownerID: nil, author: "alice@hub", lastEditor: "alice@hub",
            isShared: shared, videoID: nil, version: version, createdAt: Date(timeIntervalSince1970: 1),
            updatedAt: Date(timeIntervalSince1970: TimeInterval(version)), deletedAt: deletedAt, homeNode: node)
    }

    static func change(_ id: NoteID, clock: UInt64, _ operations: [NoteOperation], node: NodeID = node) -> NoteChange {
        NoteChange(note: id, stamp: ChangeStamp(clock: HLCTimestamp(rawValue: clock), node: node), author: "alice@hub", operations: operations)
    }

    @Test(arguments: TestDatabase.allCases)
    func aVersionIsTakenOnceWhoeverRecordsItFirst(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let notes = repositories.notes
            let id = NoteID()
            try await notes.record(Self.change(id, clock: 1 << 16, [.title("one")]), resulting: Self.note(id, title: "one", version: 1), at: Date())
            await #expect(throws: NoteRepositoryError.versionConflict) {
                try await notes.record(Self.change(id, clock: 2 << 16, [.title("again")]), resulting: Self.note(id, title: "again", version: 1), at: Date())
            }
            // Eight writers record version 2 at once: one lands, the others are told to rebuild.
            let landed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        do {
                            try await notes.record(
                                Self.change(id, clock: UInt64(10 + writer) << 16, [.title("w\(writer)")]),
                                resulting: Self.note(id, title: "w\(writer)", version: 2), at: Date())
                            return true
                        } catch NoteRepositoryError.versionConflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(landed == 1)
            let stored = try #require(try await notes.note(id))
            #expect(stored.version == 2)
            #expect(try await notes.changes(of: id, through: nil).count == 2)
            #expect(try await notes.versions(of: id).map(\.version) == [2, 1])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aBatchIsRecordedWholeOrNotAtAll(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let notes = repositories.notes
            let (first, second) = (NoteID(), NoteID())
            try await notes.record(Self.change(second, clock: 1 << 16, [.title("there")]), resulting: Self.note(second, title: "there", version: 1), at: Date())
            let runs: [(changes: [NoteChange], note: Note)] = [
                ([Self.change(first, clock: 5 << 16, [.title("a")]), Self.change(first, clock: 6 << 16, [.title("b")])], Self.note(first, title: "b", version: 2)),
                // Claims to start at version 1 of a note that has one already.
                ([Self.change(second, clock: 7 << 16, [.title("clash")])], Self.note(second, title: "clash", version: 1)),
            ]
            await #expect(throws: NoteRepositoryError.versionConflict) { try await notes.record(runs, at: Date()) }
            #expect(try await notes.note(first) == nil, "the first run was rolled back with the second")
            try await notes.record(Array(runs.prefix(1)), at: Date())
            #expect(try await notes.note(first)?.title == "b")
            #expect(try await notes.changes(of: first, after: 1).map(\.stamp.clock.rawValue) == [6 << 16])
            #expect(try await notes.contains(ChangeStamp(clock: HLCTimestamp(rawValue: 5 << 16), node: Self.node), in: first))
            #expect(try await !notes.contains(ChangeStamp(clock: HLCTimestamp(rawValue: 7 << 16), node: Self.node), in: second))
        }
    }

    /// Digests, vectors, the change feed and the purge give the same answers on every database
    /// for the same history, clocks past 2^63 included (kept bit for bit).
    @Test func historiesReadTheSameOnEveryDatabase() async throws {
        let other = NodeID.random()
        let (kept, unshared, trashed) = (NoteID(), NoteID(), NoteID())
        let runs: [(changes: [NoteChange], note: Note)] = [
            ([Self.change(kept, clock: 1 << 16, [.title("kept"), .shared(true)]), Self.change(kept, clock: UInt64.max - 5, [.title("later")], node: other)],
             Self.note(kept, title: "later", version: 2, shared: true)),
            ([Self.change(unshared, clock: 2 << 16, [.title("was"), .shared(true)]), Self.change(unshared, clock: 3 << 16, [.shared(false)]),
              Self.change(unshared, clock: 4 << 16, [.title("mine again")])],
             Self.note(unshared, title: "mine again", version: 3)),
            ([Self.change(trashed, clock: 5 << 16, [.title("bin"), .shared(true)]), Self.change(trashed, clock: 6 << 16, [.deleted(true)])],
             Self.note(trashed, title: "bin", version: 2, shared: true, deletedAt: Date(timeIntervalSince1970: 50))),
        ]
        struct Answers: Equatable {
            var digests: [NoteID: UInt64]
            var digestsWithoutOldTrash: [NoteID: UInt64]
            var vectors: [NoteID: VersionVector]
            var firstVersionVector: VersionVector
            var changed: [NoteID]
            var changedAfter: [NoteID]
            var ids: [NoteID]
            var liveIDs: [NoteID]
            var purged: [NoteID]
            var afterPurge: [NoteID]
            var histories: [NoteID: [NoteChange]]
        }
        var answers: [Answers] = []
        for database in TestDatabase.allCases {
            answers.append(try await database.withRepositories { repositories in
                let notes = repositories.notes
                try await notes.record(runs, at: Date(timeIntervalSince1970: 100))
                let ids = [kept, unshared, trashed]
                let changed = try await notes.changed(since: Date(timeIntervalSince1970: 100), after: nil, limit: 10).map(\.id)
                return Answers(
                    digests: try await notes.syncDigests(excludingDeletedBefore: .distantPast),
                    digestsWithoutOldTrash: try await notes.syncDigests(excludingDeletedBefore: Date(timeIntervalSince1970: 60)),
                    vectors: try await notes.vectors(of: ids + [NoteID()]),
                    firstVersionVector: try await notes.vector(of: kept, through: 1),
                    changed: changed,
                    changedAfter: try await notes.changed(since: Date(timeIntervalSince1970: 100), after: changed[0], limit: 1).map(\.id),
                    ids: try await notes.allIDs(includingDeleted: true).sorted { $0.rawValue < $1.rawValue },
                    liveIDs: try await notes.allIDs(includingDeleted: false).sorted { $0.rawValue < $1.rawValue },
                    purged: try await notes.purge(deletedBefore: Date(timeIntervalSince1970: 60)),
                    afterPurge: try await notes.allIDs(includingDeleted: true).sorted { $0.rawValue < $1.rawValue },
                    histories: try await notes.changes(of: ids))
            })
        }
        let (sqlite, postgres) = (answers[0], answers[1])
        #expect(sqlite == postgres)
        // And they are right, not only equal.
        #expect(Set(sqlite.digests.keys) == [kept, unshared, trashed])
        #expect(Set(sqlite.digestsWithoutOldTrash.keys) == [kept, unshared])
        #expect(sqlite.vectors.count == 3)
        #expect(sqlite.changed == [kept, unshared, trashed].sorted { $0.rawValue < $1.rawValue })
        #expect(sqlite.changedAfter == [sqlite.changed[1]])
        #expect(sqlite.purged == [trashed])
        #expect(sqlite.afterPurge == [kept, unshared].sorted { $0.rawValue < $1.rawValue })
        #expect(sqlite.histories[kept]?.map(\.stamp.clock.rawValue) == [1 << 16, UInt64.max - 5])
        #expect(sqlite.histories[trashed] == nil)
    }
}
