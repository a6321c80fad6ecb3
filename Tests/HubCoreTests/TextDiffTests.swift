import Testing

@testable import HubCore

@Suite struct TextDiffTests {
    /// Applies hunks (last first, as the notes do) and returns the result.
    static func apply<T>(_ hunks: [TextDiff.Hunk], to old: [T], from new: [T]) -> [T] {
        var result = old
        for hunk in hunks.reversed() {
            result.replaceSubrange(hunk.offset..<(hunk.offset + hunk.deleted), with: new[hunk.inserted])
        }
        return result
    }

    @Test func hunksTurnOldIntoNew() {
        let cases: [(String, String)] = [
            ("", ""), ("", "abc"), ("abc", ""), ("abc", "abc"), ("abcdef", "abXdef"), ("kitten", "sitting"),
            ("the quick brown fox", "the slow brown dog"), ("aaaa", "aa"), ("abc", "xyz"), ("a\nb\nc", "a\nc\nd"),
        ]
        for (old, new) in cases {
            let a = Array(old.unicodeScalars)
            let b = Array(new.unicodeScalars)
            for semantic in [true, false] {
                let hunks = TextDiff.hunks(from: a, to: b, semantic: semantic)
                #expect(Self.apply(hunks, to: a, from: b) == b, "\(old) → \(new)")
                #expect(hunks.map(\.offset) == hunks.map(\.offset).sorted())
            }
        }
    }

    @Test func randomEditsRoundTrip() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let alphabet = Array("ab c\n".unicodeScalars)
            let old = (0..<Int(random.next() % 40)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            var new = old
            for _ in 0..<Int(random.next() % 6) {
                let position = new.isEmpty ? 0 : Int(random.next() % UInt64(new.count + 1))
                if random.next() % 2 == 0 || new.isEmpty {
                    new.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: position)
                } else {
                    new.remove(at: min(position, new.count - 1))
                }
            }
            for semantic in [true, false] {
                #expect(Self.apply(TextDiff.hunks(from: old, to: new, semantic: semantic), to: old, from: new) == new)
            }
            // Past the cost limit the middle is replaced whole, still correctly.
            #expect(Self.apply(TextDiff.hunks(from: old, to: new, maxCost: 1), to: old, from: new) == new)
        }
    }

    @Test func minimalScriptTouchesOnlyWhatChanged() {
        let hunks = TextDiff.hunks(from: Array("one two three".utf8), to: Array("one 2 three".utf8))
        #expect(hunks == [TextDiff.Hunk(offset: 4, deleted: 3, inserted: 4..<5)])
    }

    @Test func semanticCleanupFoldsStrayMatches() {
        let old = Array("Some text <script>alert(1)</script> end".unicodeScalars)
        let new = Array("Some text edited by A end".unicodeScalars)
        let hunks = TextDiff.hunks(from: old, to: new)
        #expect(hunks.count == 1, "one replacement, not letters kept from the old span")
    }

    @Test func lineDiff() {
        let diff = TextDiff.lines(from: "a\nb\nc", to: "a\nc\nd")
        #expect(diff.lines == [.same("a"), .removed("b"), .same("c"), .added("d")] && !diff.truncated)
        #expect(TextDiff.lines(from: "a\nb\nc", to: "a\nc\nd", limit: 4).truncated == false, "exactly the limit is whole")
    }

    /// A 2 MiB note of a million lines, all changed: the comparison is cut, not built whole (the
    /// search's memory grows with the square of its edit budget, the page with every line).
    @Test func aHugeLineDiffIsCutAtItsLimit() {
        let old = String(repeating: "a\n", count: 1_000_000)
        let new = String(repeating: "b\n", count: 1_000_000)
        let diff = TextDiff.lines(from: old, to: new, limit: 1_000)
        #expect(diff.lines.count == 1_000 && diff.truncated)
        #expect(diff.lines.first == .removed("a"))
        let interleaved = TextDiff.lines(
            from: (0..<50_000).map { "\($0)" }.joined(separator: "\n"), to: (0..<50_000).map { $0 % 2 == 0 ? "x\($0)" : "\($0)" }.joined(separator: "\n"))
        #expect(interleaved.lines.count == 20_000 && interleaved.truncated)
    }
}

@Suite struct StringScalarsTests {
    @Test func encodesEveryWidthLikeTheStandardLibrary() {
        for text in ["", "ascii", "naïve café", "€ and ∑", "👩‍💻 🇫🇷 𝄞", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}"] {
            #expect(String(scalars: Array(text.unicodeScalars)) == text)
        }
    }
}
