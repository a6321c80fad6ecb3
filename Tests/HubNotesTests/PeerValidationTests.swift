import Foundation
import HubCore
import HubDatabase
import Testing

@testable import HubNotes

/// A peer (or an export being imported) is held to the rules a user is (issue 13): nobody acts
/// as this hub or as a note's home, private notes take nothing from outside, and every change
/// passes the API's limits, checked against what the note holds, before any of a batch lands.
struct PeerValidationTests {
    /// A change to `note` made by `author` on the hub `node`, on top of `history`.
    static func change(
        _ edit: NoteEdit, to note: NoteID, history: [NoteChange], by node: NodeID, author: String = "mallory@away", clock: any WallClock
    ) throws -> NoteChange {
        var document = NoteDocument(id: note, node: node, history: history)
        // Later than everything in the history, as a real hub's next stamp would be.
        let hlc = HybridLogicalClock(wallClock: clock)
        for change in history { hlc.observe(change.stamp.clock) }
        let stamp = ChangeStamp(clock: hlc.now(), node: node)
        let change = document.edit(edit, stamp: stamp, author: author)
        return try #require(change)
    }

    static func batch(_ changes: [NoteChange], on history: [NoteChange]) -> NoteBatch {
        NoteBatch(note: changes[0].note, base: VersionVector(history.map(\.stamp)), changes: changes)
    }

    @Test func aChangeStampedWithThisHubsOwnIdIsRefused() async throws {
        let pad = try TestNotepad()
        let shared = try await pad.service.create(NoteEdit(title: "Ours", content: "text", shared: true), by: pad.alice)
        let history = try await pad.database.notes.changes(of: shared.id, through: nil)
        // Stamped as if this hub made them: an unshare, a delete, an edit.
        for edit in [NoteEdit(shared: false), NoteEdit(deleted: true), NoteEdit(content: "rewritten")] {
            let forged = try Self.change(edit, to: shared.id, history: history, by: pad.service.node.id, clock: pad.clock)
            let outcome = try await pad.service.merge([Self.batch([forged], on: history)], from: .peer("away"))
            #expect(outcome.applied == 0 && outcome.refused.first?.reason.contains("this hub's node id") == true)
        }
        let after = try #require(try await pad.database.notes.note(shared.id))
        #expect(after.isShared && after.deletedAt == nil && after.content == "text" && after.version == 1)
    }

    @Test func aNotePrivateHereTakesNoChangeFromElsewhere() async throws {
        let pad = try TestNotepad()
        let away = NodeID.random()
        let secret = try await pad.service.create(NoteEdit(title: "Diary", content: "mine"), by: pad.alice)
        let history = try await pad.database.notes.changes(of: secret.id, through: nil)
        for edit in [NoteEdit(shared: true), NoteEdit(content: "theirs"), NoteEdit(title: "Read me")] {
            let change = try Self.change(edit, to: secret.id, history: history, by: away, clock: pad.clock)
            let outcome = try await pad.service.merge([Self.batch([change], on: history)], from: .peer("away"))
            #expect(outcome.applied == 0 && outcome.refused.first?.reason.contains("private") == true)
        }
        #expect(try await pad.service.outgoing(secret.id, beyond: VersionVector()) == nil, "still never offered")
        let after = try #require(try await pad.database.notes.note(secret.id))
        #expect(!after.isShared && after.content == "mine" && after.version == 1)
        // An export naming it is held to the same rule.
        let imported = try Self.change(NoteEdit(shared: true), to: secret.id, history: history, by: away, clock: pad.clock)
        #expect(try await pad.service.merge([imported], owner: pad.alice.id) == 0)
        #expect(try await pad.database.notes.note(secret.id)?.isShared == false)
    }

    @Test func whatTheAPIRefusesAPeerCannotBring() async throws {
        let pad = try TestNotepad(maxContentBytes: 10_000)
        let away = NodeID.random()
        let id = NoteID()
        let cases: [(String, NoteEdit, String)] = [
            ("a 1 MB title with a newline", NoteEdit(title: String(repeating: "t", count: 1 << 20) + "\nsecond line"), "title"),
            ("a NUL in a title", NoteEdit(title: "nul\u{0}here"), "title"),
            ("20,000 tags", NoteEdit(title: "Tags", tags: (0..<20_000).map { "t\($0)" }), "tags"),
            ("content over NOTE_MAX_BYTES", NoteEdit(title: "Big", content: String(repeating: "x", count: 10_001)), "exceed"),
        ]
        for (name, edit, reason) in cases {
            let change = try Self.change(edit, to: id, history: [], by: away, author: "bob@away", clock: pad.clock)
            let outcome = try await pad.service.merge([NoteBatch(note: id, base: VersionVector(), changes: [change])], from: .peer("away"))
            #expect(outcome.applied == 0 && outcome.refused.first?.reason.contains(reason) == true, "\(name): \(outcome.refused)")
        }
        for (name, author) in [
            ("a 100 KB author", String(repeating: "a", count: 100_000) + "@away"), ("this hub's own name", "admin@\(pad.service.node.name)"),
            ("no node", "admin"), ("a newline", "admin\n@away"),
        ] {
            let change = try Self.change(NoteEdit(title: "Hi", content: "x"), to: id, history: [], by: away, author: author, clock: pad.clock)
            let outcome = try await pad.service.merge([NoteBatch(note: id, base: VersionVector(), changes: [change])], from: .peer("away"))
            #expect(outcome.applied == 0 && outcome.refused.count == 1, "\(name)")
        }
        #expect(try await pad.database.notes.note(id) == nil, "nothing of any of them was stored")
    }

    @Test func textOperationsMustFitTheTextTheyChange() async throws {
        let pad = try TestNotepad()
        let away = NodeID.random()
        let id = NoteID()
        let created = try Self.change(NoteEdit(title: "Doc", content: "hello"), to: id, history: [], by: away, author: "bob@away", clock: pad.clock)
        #expect(try await pad.service.merge([NoteBatch(note: id, base: VersionVector(), changes: [created])], from: .peer("away")).applied == 1)
        let base = VersionVector([created.stamp])
        let clock = HybridLogicalClock(wallClock: pad.clock)
        clock.observe(created.stamp.clock)
        func attempt(_ operation: TextOperation) async throws -> NotepadService.MergeOutcome {
            let change = NoteChange(note: id, stamp: ChangeStamp(clock: clock.now(), node: away), author: "bob@away", operations: [.text(operation)])
            return try await pad.service.merge([NoteBatch(note: id, base: base, changes: [change])], from: .peer("away"))
        }
        // The finding: a 300-byte delete of 0...250,000,000 cost 53 s of CPU. Refused at once.
        let huge = try await attempt(.delete(replica: away.replica, counters: 0...250_000_000))
        #expect(huge.applied == 0 && huge.refused.first?.reason.contains("never held") == true)
        // Characters of another replica under this one's name, origins never inserted, unknown replicas.
        let other = NodeID.random().replica
        for operation: TextOperation in [
            .insert(first: CharacterID(replica: other, counter: 0), after: nil, before: nil, text: ["x"]),
            .insert(first: CharacterID(replica: away.replica, counter: 100), after: CharacterID(replica: away.replica, counter: 99), before: nil, text: ["x"]),
            .delete(replica: other, counters: 0...3),
        ] {
            #expect(try await attempt(operation).refused.count == 1, "\(operation)")
        }
        // A real delete of what exists, over a long range, is one pass and works.
        let whole = try await attempt(.delete(replica: away.replica, counters: 0...4))
        #expect(whole.applied == 1)
        #expect(try await pad.database.notes.note(id)?.content == "")
    }

    @Test func aRefusedChangeRefusesTheWholeBatch() async throws {
        let pad = try TestNotepad()
        let away = NodeID.random()
        let id = NoteID()
        let good = try Self.change(NoteEdit(title: "Fine", content: "ok"), to: id, history: [], by: away, author: "bob@away", clock: pad.clock)
        let bad = try Self.change(NoteEdit(title: "bad\u{0}"), to: id, history: [good], by: away, author: "bob@away", clock: pad.clock)
        let outcome = try await pad.service.merge([NoteBatch(note: id, base: VersionVector(), changes: [good, bad])], from: .peer("away"))
        #expect(outcome.applied == 0 && outcome.refused.count == 1)
        #expect(try await pad.database.notes.note(id) == nil, "not half-applied")
    }

    @Test func sharingFromTheCurrentVersionLeavesTheHistoryBehind() async throws {
        let pad = try TestNotepad()
        let note = try await pad.service.create(NoteEdit(title: "Keys", content: "password: hunter2"), by: pad.alice)
        _ = try await pad.service.edit(note.id, NoteEdit(content: "password: (removed)"), baseVersion: nil, by: pad.alice)
        await #expect(throws: AccessError.self) { _ = try await pad.service.shareCurrentVersion(note.id, by: pad.bob) }
        let fresh = try await pad.service.shareCurrentVersion(note.id, by: pad.alice)
        #expect(fresh.id != note.id && fresh.isShared && fresh.version == 1 && fresh.content == "password: (removed)")
        let offered = try #require(try await pad.service.outgoing(fresh.id, beyond: VersionVector()))
        let travelling = offered.changes.flatMap(\.operations).compactMap { operation -> String? in
            guard case .text(.insert(_, _, _, let text)) = operation else { return nil }
            return String(String.UnicodeScalarView(text))
        }
        #expect(!travelling.joined().contains("hunter2"), "what the note said before is not in what peers get")
        #expect(try await pad.database.notes.note(note.id)?.deletedAt != nil, "the old note, with its history, is in the owner's trash")
        #expect(try await pad.service.outgoing(note.id, beyond: VersionVector()) == nil, "and never leaves")
    }

    /// A note may name only a video its writer may see: locally, that is the access rule; from
    /// elsewhere, a video private here may not be named (one unknown here is the peer's own).
    @Test func aNoteMayNameOnlyAVideoItsWriterMaySee() async throws {
        let pad = try TestNotepad()
        func video(shared: Bool) async throws -> Video {
            let id = VideoID()
            let video = Video(
                id: id, title: "Clip", description: "", tags: [], originalFilename: "clip.mp4", contentType: "video/mp4", sizeBytes: 10,
                sha256: "00", storageKey: "videos/\(id)/source", thumbnailKey: nil, media: MediaInfo(), createdAt: Date(), updatedAt: Date(),
                ownerID: pad.alice.id, isShared: shared)
            try await pad.database.videos.insert(video)
            return video
        }
        let privateVideo = try await video(shared: false)
        let sharedVideo = try await video(shared: true)
        await #expect(throws: AccessError.notFound("video \(privateVideo.id)")) {
            _ = try await pad.service.create(NoteEdit(title: "Notes", content: "x", video: .some(privateVideo.id)), by: pad.bob)
        }
        let mine = try await pad.service.create(NoteEdit(title: "Mine", content: "x", shared: true, video: .some(privateVideo.id)), by: pad.alice)
        #expect(mine.videoID == privateVideo.id)

        let away = NodeID.random()
        let note = try await pad.service.create(NoteEdit(title: "Shared", content: "x", shared: true), by: pad.alice)
        let history = try await pad.database.notes.changes(of: note.id, through: nil)
        let toPrivate = try Self.change(NoteEdit(video: .some(privateVideo.id)), to: note.id, history: history, by: away, clock: pad.clock)
        let refused = try await pad.service.merge([Self.batch([toPrivate], on: history)], from: .peer("away"))
        #expect(refused.applied == 0 && refused.refused.first?.reason.contains("private on this hub") == true)
        for id in [sharedVideo.id, VideoID()] {
            pad.clock.advance(by: 1)
            let change = try Self.change(NoteEdit(video: .some(id)), to: note.id, history: history, by: away, clock: pad.clock)
            let outcome = try await pad.service.merge([Self.batch([change], on: history)], from: .peer("away"))
            #expect(outcome.applied == 1 && outcome.refused.isEmpty)
        }
    }
}
