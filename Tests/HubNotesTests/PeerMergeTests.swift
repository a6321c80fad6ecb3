import Foundation
import HubCore
import HubDatabase
import PropertyBased
import Testing

@testable import HubNotes

/// How hubs merge each other's changes (the rules the peer network relies on), on real SQLite
/// databases: causal delivery, the home hub's say over sharing and deletion, private notes never
/// offered, and convergence under any delivery order with losses repaired by anti-entropy.
struct PeerMergeTests {
    @Test func aBatchBuiltOnChangesNotHeldWaitsForThem() async throws {
        let (here, there) = (try TestNotepad(name: "hub-here"), try TestNotepad(name: "hub-there"))
        let note = try await here.service.create(NoteEdit(title: "Plan", content: "one\n", shared: true), by: here.alice)
        _ = try await here.service.edit(note.id, NoteEdit(content: "one\ntwo\n"), baseVersion: nil, by: here.alice)
        // Only the second change arrives: it is not applied, and the receiver says what it holds.
        let second = try #require(try await here.service.outgoing(note.id, from: 2))
        let early = try await there.service.merge([second], from: .peer("here"))
        #expect(early.applied == 0 && early.behind == [note.id])
        #expect(try await there.database.notes.note(note.id) == nil)
        // The sender answers with exactly what is missing.
        let missing = try #require(try await here.service.outgoing(note.id, beyond: try await there.service.vector(of: note.id)))
        #expect(missing.changes.count == 2)
        let repaired = try await there.service.merge([missing], from: .peer("here"))
        #expect(repaired.applied == 2 && repaired.versions[note.id] == 1...2)
        #expect(try await there.database.notes.note(note.id)?.content == "one\ntwo\n")
        // Repeats change nothing.
        #expect(try await there.service.merge([missing, second], from: .peer("here")).applied == 0)
        #expect(try await here.service.syncDigests() == (try await there.service.syncDigests()))
    }

    @Test func onlyTheHomeHubSharesUnsharesOrDeletes() async throws {
        let (home, away) = (try TestNotepad(), try TestNotepad(name: "hub-away"))
        let note = try await home.service.create(NoteEdit(title: "Ours", content: "text", shared: true), by: home.alice)
        _ = try await away.service.merge([try #require(try await home.service.outgoing(note.id))], from: .peer("home"))
        // On the other hub nobody, admins included, may manage it.
        for action in [{ _ = try await away.service.setShared(note.id, false, by: away.admin) }, { try await away.service.delete(note.id, by: away.admin) }] {
            await #expect(throws: AccessError.self) { try await action() }
        }
        // A forged unshare stamped by another hub is refused, and so is everything after it.
        let history = try await home.database.notes.changes(of: note.id, through: nil)
        var forged = NoteDocument(id: note.id, node: away.service.node.id, history: history)
        let stamp = ChangeStamp(clock: HybridLogicalClock(wallClock: away.clock).now(), node: away.service.node.id)
        let change = forged.edit(NoteEdit(shared: false), stamp: stamp, author: "mallory@away")
        let unshare = try #require(change)
        let outcome = try await home.service.merge(
            [NoteBatch(note: note.id, base: VersionVector(history.map(\.stamp)), changes: [unshare])], from: .peer("away"))
        #expect(outcome.applied == 0 && outcome.refused.count == 1 && outcome.refused[0].reason.contains("may not share or unshare"))
        #expect(try await home.database.notes.note(note.id)?.isShared == true)
        // Edits from anywhere are welcome.
        _ = try await away.service.edit(note.id, NoteEdit(content: "text, improved"), baseVersion: nil, by: away.bob)
        let edit = try #require(try await away.service.outgoing(note.id, from: 2))
        #expect(try await home.service.merge([edit], from: .peer("away")).applied == 1)
        #expect(try await home.database.notes.note(note.id)?.lastEditor == "bob@hub-away")
    }

    @Test func privateNotesAreNeverOfferedAndUnsharingStopsTheFlow() async throws {
        let pad = try TestNotepad()
        let secret = try await pad.service.create(NoteEdit(title: "Diary", content: "mine"), by: pad.alice)
        #expect(try await pad.service.outgoing(secret.id) == nil)
        #expect(try await pad.service.outgoing(secret.id, beyond: VersionVector()) == nil)
        #expect(try await pad.service.syncDigests()[secret.id] == nil)

        let note = try await pad.service.create(NoteEdit(title: "Was shared", content: "public", shared: true), by: pad.alice)
        _ = try await pad.service.setShared(note.id, false, by: pad.alice)
        _ = try await pad.service.edit(note.id, NoteEdit(content: "now private"), baseVersion: nil, by: pad.alice)
        let offered = try #require(try await pad.service.outgoing(note.id, beyond: VersionVector()))
        #expect(offered.changes.count == 2, "up to and including the unsharing, nothing after")
        #expect(offered.changes.last?.operations == [.shared(false)])
        // The digest peers compare is that of what they can get, so a peer holding all of it
        // matches and stops asking.
        #expect(try await pad.service.syncDigests()[note.id] == offered.changes.reduce(0) { $0 ^ $1.stamp.digest })
        // Shared again: the whole history goes.
        _ = try await pad.service.setShared(note.id, true, by: pad.alice)
        let everything = try #require(try await pad.service.outgoing(note.id, beyond: VersionVector()))
        #expect(everything.changes.count == 4)
        #expect(try await pad.service.syncDigests()[note.id] == everything.changes.reduce(0) { $0 ^ $1.stamp.digest })
    }

    @Test func notesAboutToBePurgedLeaveTheDigestsSoNoHubPullsThemBack() async throws {
        let pad = try TestNotepad()
        let note = try await pad.service.create(NoteEdit(title: "Old", content: "gone soon", shared: true), by: pad.alice)
        try await pad.service.delete(note.id, by: pad.alice)
        #expect(try await pad.service.syncDigests()[note.id] != nil, "a deletion travels like any change")
        pad.clock.advance(by: NoteLimits.trashRetention - 86_400 / 2)
        #expect(try await pad.service.syncDigests()[note.id] == nil)
    }

    @Test func gossipSendsOnlyTheLatestChangesWithTheirBase() async throws {
        let pad = try TestNotepad()
        let note = try await pad.service.create(NoteEdit(title: "Long", content: "1", shared: true), by: pad.alice)
        for text in ["1 2", "1 2 3", "1 2 3 4"] { _ = try await pad.service.edit(note.id, NoteEdit(content: text), baseVersion: nil, by: pad.alice) }
        let history = try await pad.database.notes.changes(of: note.id, through: nil)
        let batch = try #require(try await pad.service.outgoing(note.id, from: 3))
        #expect(batch.changes == Array(history[2...]) && batch.base == VersionVector(history[..<2].map(\.stamp)))
    }

    @Test func concurrentEditsOnTwoHubsKeepBothAndConverge() async throws {
        let (a, b) = (try TestNotepad(name: "hub-a"), try TestNotepad(name: "hub-b"))
        let note = try await a.service.create(NoteEdit(title: "Shared", content: "alpha\nomega\n", shared: true), by: a.alice)
        _ = try await b.service.merge([try #require(try await a.service.outgoing(note.id))], from: .peer("a"))
        _ = try await a.service.edit(note.id, NoteEdit(title: "From A", content: "alpha\nA's line\nomega\n"), baseVersion: 1, by: a.alice)
        a.clock.advance(by: 0.001)
        _ = try await b.service.edit(note.id, NoteEdit(title: "From B", content: "alpha\nomega\nB's line\n"), baseVersion: 1, by: b.bob)
        let fromA = try #require(try await a.service.outgoing(note.id, from: 2))
        let fromB = try #require(try await b.service.outgoing(note.id, from: 2))
        let atB = try await b.service.merge([fromA], from: .peer("a"))
        let atA = try await a.service.merge([fromB], from: .peer("b"))
        #expect(atA.conflicts + atB.conflicts == 1, "one of the two titles lost, on one of the hubs")
        let (left, right) = (try #require(try await a.database.notes.note(note.id)), try #require(try await b.database.notes.note(note.id)))
        #expect(left.content == right.content && left.title == right.title && left.version == 3 && right.version == 3)
        #expect(left.content.contains("A's line") && left.content.contains("B's line"))
        #expect(try await a.service.syncDigests() == (try await b.service.syncDigests()))
    }

    /// Random concurrent histories on three hubs, delivered as gossip in random order with
    /// duplicates and losses, then repaired by anti-entropy: every hub ends with the same note.
    @Test func randomHistoriesConvergeWhateverTheDelivery() async throws {
        await propertyCheck(count: 25, input: Gen.int(in: 0...Int.max), Gen.int(in: 4...30), Gen.int(in: 0...40)) { seed, steps, lossPercent in
            do {
                try await Self.converge(seed: UInt64(seed), steps: steps, lossPercent: lossPercent)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    static func converge(seed: UInt64, steps: Int, lossPercent: Int) async throws {
        var random = SplitMix64(seed: seed)
        let hubs = try (0..<3).map { try TestNotepad(name: "hub-\($0)") }
        let note = try await hubs[0].service.create(NoteEdit(title: "Start", content: "base text\n", tags: ["a"], shared: true), by: hubs[0].alice)
        var inFlight: [(to: Int, batch: NoteBatch)] = []
        var made = 1
        let words = ["alpha", "beta", "gamma", "delta", "\n", "ünï", "🙂"]
        for _ in 0..<steps {
            if inFlight.isEmpty || random.next() % 3 != 0 {
                // A hub that holds the note edits it; its change goes out to the others.
                let holders = try await (0..<3).asyncFilter { try await hubs[$0].database.notes.note(note.id) != nil }
                let hub = holders[Int(random.next() % UInt64(holders.count))]
                let pad = hubs[hub]
                guard let current = try await pad.database.notes.note(note.id) else { continue }
                var edit = NoteEdit()
                var content = Array(current.content.unicodeScalars)
                switch random.next() % 4 {
                case 0: edit.title = "Title \(random.next() % 100)"
                case 1: edit.tags = [words[Int(random.next() % 4)], "t\(random.next() % 3)"]
                default:
                    let at = Int(random.next() % UInt64(content.count + 1))
                    if random.next() % 3 == 0, !content.isEmpty {
                        content.removeSubrange(at..<min(content.count, at + Int(random.next() % 6)))
                    } else {
                        content.insert(contentsOf: words[Int(random.next() % UInt64(words.count))].unicodeScalars, at: at)
                    }
                    edit.content = String(String.UnicodeScalarView(content))
                }
                pad.clock.advance(by: Double(random.next() % 5) / 1000)
                let saved = try await pad.service.edit(note.id, edit, baseVersion: nil, by: pad.bob).note
                guard saved.version > current.version else { continue }
                made += 1
                let batch = try #require(try await pad.service.outgoing(note.id, from: saved.version))
                for other in 0..<3 where other != hub { inFlight.append((other, batch)) }
            } else {
                // Deliver one message, in any order; some are lost, some arrive twice.
                let message = inFlight.remove(at: Int(random.next() % UInt64(inFlight.count)))
                if Int(random.next() % 100) < lossPercent { continue }
                if random.next() % 5 == 0 { inFlight.append(message) }
                _ = try await hubs[message.to].service.merge([message.batch], from: .peer("p"))
            }
        }
        // Anti-entropy: each hub asks each other for what it lacks, until nothing is missing.
        for _ in 0..<4 {
            for i in 0..<3 {
                for j in 0..<3 where i != j {
                    if let batch = try await hubs[j].service.outgoing(note.id, beyond: try await hubs[i].service.vector(of: note.id)), !batch.changes.isEmpty {
                        let outcome = try await hubs[i].service.merge([batch], from: .peer("p"))
                        #expect(outcome.behind.isEmpty && outcome.refused.isEmpty)
                    }
                }
            }
        }
        var states: [Note] = []
        for hub in hubs { states.append(try #require(try await hub.database.notes.note(note.id))) }
        for state in states.dropFirst() {
            #expect(state.content == states[0].content, "seed \(seed)")
            #expect(state.title == states[0].title && state.tags == states[0].tags && state.version == states[0].version, "seed \(seed)")
        }
        #expect(states[0].version == made, "every change is a version on every hub (seed \(seed))")
        let digests = try await hubs[0].service.syncDigests()
        for hub in hubs.dropFirst() { #expect(try await hub.service.syncDigests() == digests, "seed \(seed)") }
        // The stored state is the history's: a rebuild from the changes gives the same text.
        let rebuilt = try await hubs[1].service.rebuild(note.id, through: nil)
        #expect(rebuilt.text.text == states[0].content, "seed \(seed)")
    }
}

extension Range<Int> {
    func asyncFilter(_ include: (Int) async throws -> Bool) async rethrows -> [Int] {
        var kept: [Int] = []
        for value in self where try await include(value) { kept.append(value) }
        return kept
    }
}
