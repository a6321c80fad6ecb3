/// Myers' O(ND) difference algorithm: the fewest deletions and insertions that turn one sequence
/// into another. Notes use it twice: a saved text becomes CRDT operations touching only what the
/// writer changed (so concurrent edits elsewhere in the note survive the merge), and the history
/// page shows which lines changed between two versions.
public enum TextDiff {
    /// Replace `deleted` elements of the old sequence at `offset` with `inserted` (indices into
    /// the new sequence).
    public struct Hunk: Sendable, Equatable {
        public var offset: Int
        public var deleted: Int
        public var inserted: Range<Int>
    }

    /// The hunks in ascending order of `offset`. A common prefix and suffix are trimmed first, so
    /// a typical save of a large note costs one pass over it; past `maxCost` edits the middle is
    /// replaced whole rather than spending quadratic memory on a perfect script.
    ///
    /// With `semantic` (for prose), a run of matches no longer than the edits on both sides of
    /// it is folded into one replacement, as diff-match-patch's semantic cleanup does: rewriting
    /// "alert(1)" as "edited" then deletes one span and inserts one, instead of keeping a stray
    /// "e" and "d" that a concurrent deletion of the span would leave behind as fragments.
    public static func hunks<Element: Equatable>(from old: [Element], to new: [Element], maxCost: Int = 2_000, semantic: Bool = true) -> [Hunk] {
        let raw = minimalHunks(from: old, to: new, maxCost: maxCost)
        return semantic ? cleanedUp(raw) : raw
    }

    static func cleanedUp(_ hunks: [Hunk]) -> [Hunk] {
        var result = hunks
        var changed = true
        while changed && result.count > 1 {
            changed = false
            var merged: [Hunk] = [result[0]]
            for next in result.dropFirst() {
                let last = merged[merged.count - 1]
                let gap = next.offset - (last.offset + last.deleted)
                if gap <= max(last.deleted, last.inserted.count) && gap <= max(next.deleted, next.inserted.count) {
                    merged[merged.count - 1] = Hunk(
                        offset: last.offset, deleted: next.offset + next.deleted - last.offset,
                        inserted: last.inserted.lowerBound..<next.inserted.upperBound)
                    changed = true
                } else {
                    merged.append(next)
                }
            }
            result = merged
        }
        return result
    }

    static func minimalHunks<Element: Equatable>(from old: [Element], to new: [Element], maxCost: Int) -> [Hunk] {
        var prefix = 0
        let shorter = min(old.count, new.count)
        while prefix < shorter && old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < shorter - prefix && old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        let a = old[prefix..<(old.count - suffix)]
        let b = new[prefix..<(new.count - suffix)]
        if a.isEmpty && b.isEmpty { return [] }
        if a.isEmpty || b.isEmpty {
            return [Hunk(offset: prefix, deleted: a.count, inserted: b.startIndex..<b.endIndex)]
        }
        guard let script = myers(a, b, maxCost: maxCost) else {
            return [Hunk(offset: prefix, deleted: a.count, inserted: b.startIndex..<b.endIndex)]
        }
        return script
    }

    /// How each line of `old` and `new` fared, in order.
    public enum Line: Sendable, Equatable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// The line diff of two texts, at most `limit` lines of it (and whether it was cut there).
    /// Both bounds matter for a 2 MiB note of a million lines: the search keeps a frontier per
    /// edit, so `maxCost` edits cost `maxCost²` integers (10,000 took 800 MB), and every line
    /// shown is a JSON object or a table row (a million of them took 16 s to render).
    public static func lines(from old: String, to new: String, limit: Int = 20_000) -> (lines: [Line], truncated: Bool) {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var result: [Line] = []
        /// Appends what fits; false when some of `lines` did not.
        func take(_ lines: some Collection<String>, as kind: (String) -> Line) -> Bool {
            let room = limit - result.count
            result += lines.prefix(room).map(kind)
            return lines.count <= room
        }
        var cursor = 0
        for hunk in hunks(from: a, to: b, maxCost: 2_000, semantic: false) {
            guard take(a[cursor..<hunk.offset], as: Line.same), take(a[hunk.offset..<(hunk.offset + hunk.deleted)], as: Line.removed),
                take(b[hunk.inserted], as: Line.added)
            else { return (result, true) }
            cursor = hunk.offset + hunk.deleted
        }
        return (result, !take(a[cursor...], as: Line.same))
    }

    /// The greedy forward search, keeping each round's frontier to walk the path back.
    private static func myers<Element: Equatable>(_ a: ArraySlice<Element>, _ b: ArraySlice<Element>, maxCost: Int) -> [Hunk]? {
        let n = a.count
        let m = b.count
        let limit = min(n + m, maxCost)
        // v[k + offset]: the furthest x on diagonal k (x - y = k) reached so far.
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        var found: Int?
        search: for d in 0...limit {
            trace.append(Array(v[(offset - d)...(offset + d)]))
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n && y < m && a[a.startIndex + x] == b[b.startIndex + y] {
                    x += 1
                    y += 1
                }
                v[offset + k] = x
                if x >= n && y >= m {
                    found = d
                    break search
                }
            }
        }
        guard let cost = found else { return nil }

        // Walk back from (n, m), one edit per round: each edit at its (old, new) coordinates,
        // collected last to first.
        var edits: [(isInsert: Bool, old: Int, new: Int)] = []
        var x = n
        var y = m
        for d in stride(from: cost, to: 0, by: -1) {
            let frontier = trace[d]
            func at(_ k: Int) -> Int { frontier[k + d] }
            let k = x - y
            let previousK = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1
            let previousX = at(previousK)
            let previousY = previousX - previousK
            // From diagonal k+1 the step was down (an insert of b[previousY]); from k-1, right (a delete of a[previousX]).
            edits.append((isInsert: previousK == k + 1, old: previousX, new: previousY))
            x = previousX
            y = previousY
        }

        // Consecutive edits with no match between them form one hunk.
        var hunks: [Hunk] = []
        for edit in edits.reversed() {
            let old = a.startIndex + edit.old
            let new = b.startIndex + edit.new
            if var last = hunks.last, last.offset + last.deleted == old, last.inserted.upperBound == new {
                if edit.isInsert { last.inserted = last.inserted.lowerBound..<(new + 1) } else { last.deleted += 1 }
                hunks[hunks.count - 1] = last
            } else {
                hunks.append(Hunk(offset: old, deleted: edit.isInsert ? 0 : 1, inserted: new..<(new + (edit.isInsert ? 1 : 0))))
            }
        }
        return hunks
    }
}
