import Foundation
import GRDB
import HubCore
import Testing

@testable import HubDatabase

/// Migration v4 on a notepad made before the peer network: each note gets its home node, whether
/// it was ever shared, and the digests anti-entropy compares, as if recorded since the start.
@Suite struct PeerMigrationTests {
    @Test func backfillsHomeNodesPublicationAndDigests() async throws {
        let queue = try DatabaseQueue()
        try HubDatabase.migrator.migrate(queue, upTo: "v3: community notepad")
        let node = NodeID.random()
        let stamps = (1...4).map { ChangeStamp(clock: HLCTimestamp(rawValue: UInt64($0) << 16), node: node) }
        let histories: [(String, Bool, [[NoteOperation]])] = [
            ("private", false, [[.title("diary")], [.title("diary 2")]]),
            ("shared", true, [[.title("plan"), .shared(true)], [.title("plan 2")]]),
            // Shared, unshared, then written privately: that last change never leaves.
            ("unshared", false, [[.title("was"), .shared(true)], [.shared(false)], [.title("mine again")]]),
        ]
        let ids = Dictionary(uniqueKeysWithValues: histories.map { ($0.0, NoteID()) })
        try await queue.write { db in
            for (name, shared, history) in histories {
                let id = ids[name]!
                try db.execute(
                    sql: """
                        INSERT INTO note (id, title, content, tags, author, lastEditor, shared, version, createdAt, updatedAt)
                        VALUES (?, ?, '', '[]', 'a@b', 'a@b', ?, ?, ?, ?)
                        """,
                    arguments: [id.rawValue, name, shared, history.count, Date(), Date()])
                for (index, operations) in history.enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO noteChange (noteID, version, node, clock, author, summary, operations, recordedAt)
                            VALUES (?, ?, ?, ?, 'a@b', '', ?, ?)
                            """,
                        arguments: [id.rawValue, index + 1, node.rawValue, Int64(stamps[index].clock.rawValue), try JSONEncoder().encode(operations), Date()])
                }
            }
        }
        try HubDatabase.migrator.migrate(queue)
        let database = try HubDatabase(writer: queue)
        let digests = try await database.notes.syncDigests(excludingDeletedBefore: .distantPast)
        #expect(digests[ids["private"]!] == nil, "never shared: never offered")
        #expect(digests[ids["shared"]!] == stamps[0].digest ^ stamps[1].digest)
        #expect(digests[ids["unshared"]!] == stamps[0].digest ^ stamps[1].digest, "up to the unsharing")
        let home = try await queue.read { db in try String.fetchOne(db, sql: "SELECT homeNode FROM note WHERE id = ?", arguments: [ids["shared"]!.rawValue]) }
        #expect(home == node.rawValue)
    }
}
