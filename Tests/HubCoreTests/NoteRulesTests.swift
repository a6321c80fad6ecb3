import HubCore
@testable import HubSystem
import Logging
import Testing

@testable import HubCore

/// The rules every change passes, from a user or a peer, and the CRDT's check of operations
/// against what a text holds.
@Suite struct NoteRulesTests {
    @Test func titlesAreOnePrintableLineWithinTheLimit() {
        #expect(NoteRules.titleProblem("Plan for Q3 — ünïcødé 🙂") == nil)
        // In characters, as the API contract's maxLength: 200 of three bytes each fit.
        #expect(NoteRules.titleProblem(String(repeating: "語", count: NoteLimits.titleLength)) == nil)
        #expect(NoteRules.titleProblem(String(repeating: "語", count: NoteLimits.titleLength + 1)) != nil)
        for bad in ["", String(repeating: "t", count: NoteLimits.titleLength + 1), "two\nlines", "nul\u{0}", "escape\u{1b}[2J", "tab\there", "sep\u{2028}x"] {
            #expect(NoteRules.titleProblem(bad) != nil, "\(bad.debugDescription)")
        }
    }

    @Test func tagsAreBoundedDistinctAndPrintable() {
        #expect(NoteRules.tagsProblem(["a", "b"]) == nil)
        #expect(NoteRules.tagsProblem((0...NoteLimits.tagCount).map { "t\($0)" }) != nil)
        #expect(NoteRules.tagsProblem(["a", "a"]) != nil)
        #expect(NoteRules.tagsProblem([""]) != nil)
        #expect(NoteRules.tagsProblem([String(repeating: "x", count: NoteLimits.tagLength + 1)]) != nil)
        #expect(NoteRules.tagsProblem(["bell\u{7}"]) != nil)
    }

    @Test func authorsFromElsewhereNameTheirNodeAndNotThisOne() {
        #expect(NoteRules.foreignAuthorProblem("bob@away", ownNodeName: "home") == nil)
        #expect(NoteRules.foreignAuthorProblem("bob@home", ownNodeName: "home")?.contains("this hub") == true)
        for bad in ["bob", "@away", "bob@", "bo\nb@away", String(repeating: "a", count: 300) + "@away"] {
            #expect(NoteRules.foreignAuthorProblem(bad, ownNodeName: "home") != nil, "\(bad.prefix(20).debugDescription)")
        }
    }

    @Test func operationsAreCheckedAgainstWhatTheTextHolds() {
        let mine: ReplicaID = 0xAAAA
        let theirs: ReplicaID = 0xBBBB
        var text = TextCRDT(replica: mine)
        let typed = text.insert(Array("hello".unicodeScalars), at: 0)!
        var remote = TextCRDT(replica: theirs)
        remote.apply(typed)
        let reply = remote.insert(Array("!".unicodeScalars), at: 5)!
        #expect(text.refusal(of: reply, madeBy: theirs) == nil, "an insert after a character held")
        #expect(text.refusal(of: reply, madeBy: mine) != nil, "an insert under another replica's name")
        #expect(text.refusal(of: .delete(replica: mine, counters: 0...4), madeBy: theirs) == nil)
        #expect(text.refusal(of: .delete(replica: mine, counters: 0...5), madeBy: theirs) != nil, "past what was typed")
        #expect(text.refusal(of: .delete(replica: mine, counters: 0...250_000_000), madeBy: theirs) != nil)
        #expect(text.refusal(of: .delete(replica: theirs, counters: 0...0), madeBy: theirs) != nil, "a replica not seen here")
        #expect(text.refusal(of: .insert(first: CharacterID(replica: theirs, counter: .max), after: nil, before: nil, text: ["a", "b"]), madeBy: theirs) != nil)
        #expect(text.refusal(of: .insert(first: CharacterID(replica: theirs, counter: 0), after: CharacterID(replica: mine, counter: 99), before: nil, text: ["a"]), madeBy: theirs) != nil)
    }

    @Test func longDeletesAreOnePassAndMatchOneByOne() {
        var text = TextCRDT(replica: 1)
        text.insert(Array(String(repeating: "abcdefghij", count: 100).unicodeScalars), at: 0)
        var scanned = text
        var searched = text
        scanned.apply(.delete(replica: 1, counters: 100...899))
        for counter in UInt32(100)...899 { searched.apply(.delete(replica: 1, counters: counter...counter)) }
        #expect(scanned.text == searched.text && scanned.count == 200)
    }

    @Test func logsKeepEveryEntryOnOneLine() {
        #expect(EscapingLogHandler.escape("alice\n2026-01-01 admin signed in\r\u{1b}[2J") == #"alice\n2026-01-01 admin signed in\r\u{1b}[2J"#)
        #expect(EscapingLogHandler.escape("plain ünïcødé") == "plain ünïcødé")
        let metadata = EscapingLogHandler.escape(["user": "x\ny", "list": .array(["a\tb"])])
        #expect(metadata["user"] == "x\\ny" && metadata["list"] == .array(["a\\tb"]))
    }
}
