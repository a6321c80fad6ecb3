import HubCore
import Testing

@testable import HubNotes

struct NoteDocumentCacheTests {
    func document(_ characters: Int, node: NodeID = NodeID("0123456789abcdef0123456789abcdef")!) -> NoteDocument {
        var document = NoteDocument(id: NoteID(), node: node)
        _ = document.edit(
            NoteEdit(title: "t", content: String(repeating: "x", count: characters)),
            stamp: ChangeStamp(clock: HLCTimestamp(rawValue: 1 << 16), node: node), author: "a@b")
        return document
    }

    @Test func keepsTheMostRecentlyUsedWithinTheBudget() throws {
        let cache = NoteDocumentCache(capacity: 100)
        let (a, b, c) = (document(40), document(40), document(40))
        cache.put(a)
        cache.put(b)
        // Using `a` again makes `b` the oldest: it goes when `c` arrives.
        let taken = try #require(cache.take(a.id, version: a.version))
        cache.put(taken)
        cache.put(c)
        #expect(cache.take(b.id, version: b.version) == nil)
        #expect(cache.take(a.id, version: a.version) != nil && cache.take(c.id, version: c.version) != nil)
        #expect(cache.count == 0, "taking removes")
        cache.put(document(101))
        #expect(cache.count == 0, "a document over the whole budget is not kept")
    }

    @Test func aStaleVersionIsNeverServed() {
        let cache = NoteDocumentCache()
        let a = document(10)
        cache.put(a)
        #expect(cache.take(a.id, version: a.version + 1) == nil)
        #expect(cache.take(a.id, version: a.version) == nil, "the stale entry was dropped")
    }

    /// A peer's catch-up puts tens of thousands of documents: each put is O(1) amortised, and
    /// the budget holds throughout.
    @Test func manyPutsStayWithinBudget() {
        let cache = NoteDocumentCache(capacity: 5_000)
        var kept: [NoteDocument] = []
        for index in 0..<20_000 {
            let next = document(10)
            cache.put(next)
            if index % 3 == 0, let previous = kept.last, let again = cache.take(previous.id, version: previous.version) { cache.put(again) }
            kept.append(next)
        }
        #expect(cache.count <= 5_000 / 10 && cache.count >= 5_000 / 10 - 1)
        #expect(cache.take(kept.last!.id, version: kept.last!.version) != nil)
    }
}
