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
        let (a, b, c) = (document(40), document(40), document(40))
        // Room for two of them, in the bytes their buffers occupy.
        let cache = NoteDocumentCache(capacity: a.text.allocatedBytes * 5 / 2)
        cache.put(a)
        cache.put(b)
        // Using `a` again makes `b` the oldest: it goes when `c` arrives.
        let taken = try #require(cache.take(a.id, version: a.version))
        cache.put(taken)
        cache.put(c)
        #expect(cache.take(b.id, version: b.version) == nil)
        #expect(cache.take(a.id, version: a.version) != nil && cache.take(c.id, version: c.version) != nil)
        #expect(cache.count == 0, "taking removes")
        let big = document(400)
        try #require(big.text.allocatedBytes > a.text.allocatedBytes * 5 / 2)
        cache.put(big)
        #expect(cache.count == 0, "a document over the whole budget is not kept")
    }

    @Test func aStaleVersionIsNeverServed() {
        let cache = NoteDocumentCache()
        let a = document(10)
        cache.put(a)
        #expect(cache.take(a.id, version: a.version + 1) == nil)
        #expect(cache.take(a.id, version: a.version) == nil, "the stale entry was dropped")
    }

    /// The budget counts what buffers occupy, not characters: many short notes, whose buffers
    /// have room to grow, fill it long before their characters would.
    @Test func theBudgetCountsTheBuffersSpareRoom() throws {
        let short = document(65)
        #expect(short.text.allocatedBytes >= 3 * 65 * 32 / 2, "the buffer has room for half as many again")
        let cache = NoteDocumentCache(capacity: 10 * short.text.allocatedBytes)
        for _ in 0..<100 { cache.put(document(65)) }
        #expect(cache.count == 10)
    }

    /// A peer's catch-up puts tens of thousands of documents: each put is O(1) amortised, and
    /// the budget holds throughout.
    @Test func manyPutsStayWithinBudget() {
        let each = document(10).text.allocatedBytes
        let cache = NoteDocumentCache(capacity: 500 * each)
        var kept: [NoteDocument] = []
        for index in 0..<20_000 {
            let next = document(10)
            cache.put(next)
            if index % 3 == 0, let previous = kept.last, let again = cache.take(previous.id, version: previous.version) { cache.put(again) }
            kept.append(next)
        }
        #expect(cache.count <= 500 && cache.count >= 499)
        #expect(cache.take(kept.last!.id, version: kept.last!.version) != nil)
    }
}
