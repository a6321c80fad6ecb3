import Foundation
import HubCore
import HubTestSupport
import Testing

/// Settings, hand-added peers and the sync log, the same on every database.
@Suite struct HubStateRepositoryTests {
    @Test(arguments: TestDatabase.allCases)
    func settingsAreSetAndRead(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let settings = repositories.settings
            #expect(try await settings.value("storageLocation") == nil)
            try await settings.set("storageLocation", to: "local")
            #expect(try await settings.value("storageLocation") == "local")
            try await settings.set("storageLocation", to: "s3://bucket ünïcødé 'quoted'")
            #expect(try await settings.value("storageLocation") == "s3://bucket ünïcødé 'quoted'")
            #expect(try await settings.value("other") == nil)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aProposedSettingIsStoredOnceAndTheFirstProposalWins(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let settings = repositories.settings
            // Instances starting at once each propose their own node id; all get the same one.
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 { group.addTask { try await settings.value("nodeID", proposing: "node-\(index)") } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(answers.count == 1)
            #expect(try await settings.value("nodeID") == answers.first)
            #expect(try await settings.value("nodeID", proposing: "later") == answers.first)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func peersAreKeptInTheOrderAddedAndRenamedInPlace(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let peers = repositories.peers
            #expect(try await peers.all().isEmpty)
            try await peers.save(name: "one", address: "10.0.0.1:8080", at: Date(timeIntervalSince1970: 1))
            try await peers.save(name: "two", address: "10.0.0.2:8080", at: Date(timeIntervalSince1970: 2))
            try await peers.save(name: "uno", address: "10.0.0.1:8080", at: Date(timeIntervalSince1970: 3))
            let all = try await peers.all()
            #expect(all.map(\.name) == ["uno", "two"])
            #expect(all.map(\.address) == ["10.0.0.1:8080", "10.0.0.2:8080"])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func theSyncLogPagesNewestFirstAndIsTrimmed(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let log = repositories.syncLog
            let node = NodeID.random()
            let note = NoteID()
            let entries = (1...25).map { index in
                SyncLogEntry(
                    at: Date(timeIntervalSince1970: TimeInterval(index)), event: SyncLogEntry.Event.allCases[index % 7],
                    peer: index % 2 == 0 ? "peer (10.0.0.1:8080)" : nil, note: note, version: index, node: node, author: "alice@hub",
                    notes: 1, changes: index, summary: "entry \(index)")
            }
            try await log.append(Array(entries[0..<20]))
            try await log.append(Array(entries[20...]))
            try await log.append([])
            let newest = try await log.recent(limit: 10, before: nil)
            #expect(newest.map(\.summary) == (16...25).reversed().map { "entry \($0)" })
            var first = try #require(newest.first)
            first.id = nil
            #expect(first == entries[24])
            let older = try await log.recent(limit: 10, before: newest.last?.id)
            #expect(older.map(\.summary) == (6...15).reversed().map { "entry \($0)" })
            try await log.trim(keeping: 5)
            #expect(try await log.recent(limit: 100, before: nil).map(\.summary) == (21...25).reversed().map { "entry \($0)" })
        }
    }
}

/// The shared sign-in failure log (PostgreSQL only: one process on SQLite counts in memory).
@Suite struct SignInFailureLogTests {
    @Test func failuresAreCountedPerKeyWithinTheWindowAndForgotten() async throws {
        try await TestDatabase.postgres.withRepositories { repositories in
            let log = try #require(repositories.signInFailures)
            let at = { (seconds: TimeInterval) in Date(timeIntervalSince1970: 1_000 + seconds) }
            try await log.record(["account:alice", "address:10.0.0.1"], at: at(0), forgetBefore: at(-900))
            try await log.record(["account:alice", "address:10.0.0.2"], at: at(10), forgetBefore: at(-890))
            try await log.record(["account:bob", "address:10.0.0.1"], at: at(20), forgetBefore: at(-880))
            var alice = try await log.failures(of: "account:alice", since: at(-900))
            #expect(alice.count == 2 && alice.oldest == at(0))
            #expect(try await log.failures(of: "address:10.0.0.1", since: at(-900)).count == 2)
            #expect(try await log.failures(of: "account:alice", since: at(5)).count == 1, "only what is in the window")
            #expect(try await log.failures(of: "account:carol", since: at(-900)) == (0, nil))
            try await log.clear("account:alice")
            alice = try await log.failures(of: "account:alice", since: at(-900))
            #expect(alice.count == 0 && alice.oldest == nil)
            #expect(try await log.failures(of: "address:10.0.0.2", since: at(-900)).count == 1, "an address is not cleared with an account")
            // A record long after forgets what is out of the window.
            try await log.record(["account:dave"], at: at(5_000), forgetBefore: at(4_100))
            #expect(try await log.failures(of: "account:bob", since: .distantPast).count == 0)
        }
    }
}
