import Foundation
import Testing

@testable import HubCore

@Suite struct NoteDocumentTests {
    let id = NoteID()
    let nodeA = NodeID("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")!
    let nodeB = NodeID("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")!

    func stamp(_ milliseconds: UInt64, _ node: NodeID) -> ChangeStamp {
        ChangeStamp(clock: HLCTimestamp(milliseconds: milliseconds), node: node)
    }

    /// `document.edit`, which must make a change.
    func change(_ document: inout NoteDocument, _ edit: NoteEdit, basedOn base: NoteDocument? = nil, stamp: ChangeStamp, author: String) throws -> NoteChange {
        let change = document.edit(edit, basedOn: base, stamp: stamp, author: author)
        return try #require(change)
    }

    @Test func aSaveFromAnOldVersionKeepsWhatChangedSince() throws {
        var document = NoteDocument(id: id, node: nodeA)
        _ = document.edit(NoteEdit(title: "Plan", content: "Intro.\nMiddle.\nEnd."), stamp: stamp(1, nodeA), author: "a@hub")
        let version1 = document
        // Someone edits the end...
        _ = document.edit(NoteEdit(content: "Intro.\nMiddle.\nThe end."), stamp: stamp(2, nodeA), author: "b@hub")
        // ...while another editor, still on version 1, edits the start and the title.
        let merged = try change(&document, NoteEdit(title: "Plan v2", content: "Introduction.\nMiddle.\nEnd."), basedOn: version1, stamp: stamp(3, nodeA), author: "c@hub")
        #expect(document.text.text == "Introduction.\nMiddle.\nThe end.")
        #expect(document.title.value == "Plan v2")
        #expect(document.version == 3)
        #expect(merged.operations.contains(.title("Plan v2")))
    }

    @Test func registersTheWriterDidNotTouchAreNotWritten() throws {
        var document = NoteDocument(id: id, node: nodeA)
        _ = document.edit(NoteEdit(title: "One", content: "x", tags: ["a"]), stamp: stamp(1, nodeA), author: "a@hub")
        let version1 = document
        _ = document.edit(NoteEdit(title: "Two"), stamp: stamp(2, nodeA), author: "a@hub")
        // Saved from version 1 with its title unchanged: the newer title stays.
        _ = document.edit(NoteEdit(title: "One", content: "xy", tags: ["a"]), basedOn: version1, stamp: stamp(3, nodeA), author: "b@hub")
        #expect(document.title.value == "Two")
        #expect(document.text.text == "xy")
    }

    @Test func concurrentChangesOnTwoNodesConverge() throws {
        var a = NoteDocument(id: id, node: nodeA)
        let created = try change(&a, NoteEdit(title: "T", content: "hello world", tags: ["x"]), stamp: stamp(1, nodeA), author: "a@A")
        var b = NoteDocument(id: id, node: nodeB, history: [created])
        let fromA = try change(&a, NoteEdit(title: "From A", content: "hello brave world"), stamp: stamp(5, nodeA), author: "a@A")
        let fromB = try change(&b, NoteEdit(title: "From B", content: "hello world!", tags: ["y"]), stamp: stamp(5, nodeB), author: "b@B")
        a.apply(fromB)
        b.apply(fromA)
        #expect(a.text.text == b.text.text)
        #expect(a.text.text == "hello brave world!")
        // Same clock: the node id breaks the tie, the same way on both.
        #expect(a.title.value == "From B" && b.title.value == "From B")
        #expect(a.tags.value == ["y"] && b.tags.value == ["y"])
        #expect(a.version == 3 && b.version == 3)
        // Counted where the losing write arrives: A's title reached B after B's own.
        #expect(a.conflicts == 0 && b.conflicts == 1)
    }

    @Test func changesSurviveTheirStoredForm() throws {
        var document = NoteDocument(id: id, node: nodeA)
        let first = try change(&document, NoteEdit(title: "É", content: "naïve 👩‍💻 text", tags: ["t"], shared: true), stamp: stamp(1, nodeA), author: "a@A")
        let second = try change(&document, NoteEdit(content: "naïve text", deleted: true, video: .some(VideoID())), stamp: stamp(2, nodeA), author: "a@A")
        let decoded = try JSONDecoder().decode([NoteChange].self, from: JSONEncoder().encode([first, second]))
        #expect(decoded == [first, second])
        let replayed = NoteDocument(id: id, node: nodeB, history: decoded)
        #expect(replayed.text.text == document.text.text)
        #expect(replayed.deleted.value && replayed.shared.value)
    }

    @Test func hybridLogicalClockIsMonotonicAndCausal() {
        final class StoppedClock: WallClock {
            func now() -> Date { Date(timeIntervalSince1970: 1_000) }
        }
        let clock = HybridLogicalClock(wallClock: StoppedClock())
        let first = clock.now()
        let second = clock.now()
        #expect(second > first)
        #expect(second.milliseconds == 1_000_000)
        let remote = HLCTimestamp(milliseconds: 5_000_000, logical: 3)
        clock.observe(remote)
        #expect(clock.now() > remote)
    }
}
