import HubCore
import Synchronization

/// Recently edited notes' documents, kept so a save costs a diff and a few operations instead of
/// a replay of the note's history. A document is taken out while it is being edited (so the
/// edit mutates it in place, without copying a large note) and put back afterwards; an entry
/// only serves a save when its version is the stored one, so a change recorded elsewhere (another
/// process, an import) is never edited over.
final class NoteDocumentCache: Sendable {
    fileprivate struct State {
        /// Each document with the use that put it there.
        var documents: [NoteID: (document: NoteDocument, use: Int)] = [:]
        /// Uses, oldest first, from `head` on. An entry whose use is no longer its document's
        /// (the document was taken or put again since) is skipped: every operation stays O(1)
        /// amortised, however many notes a peer's catch-up brings.
        var uses: [(id: NoteID, use: Int)] = []
        var head = 0
        var nextUse = 0
        var storedBytes = 0
    }

    /// The budget, in bytes of the documents' character buffers (`TextCRDT.allocatedBytes`, which
    /// counts their free slots too: a small note's buffer can be four times its characters). It
    /// counted characters once, which let 4,000 short notes fill 120 MiB and an instance pass
    /// 150 MiB of RSS after a run of saves. A note whose buffer outgrows the budget (between
    /// about 400,000 and 1.5 million characters, by how much room it has to grow) is not kept:
    /// each save of it replays its history.
    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 48 << 20) {
        self.capacity = capacity
    }

    /// The document of `id` at `version`, removed from the cache; nil when it is not there.
    func take(_ id: NoteID, version: Int) -> NoteDocument? {
        state.withLock { state in
            guard let document = state.remove(id) else { return nil }
            return document.version == version ? document : nil
        }
    }

    /// Keeps `document`, dropping the least recently used ones past the budget (a document
    /// larger than the whole budget is not kept).
    func put(_ document: NoteDocument) {
        state.withLock { state in
            state.remove(document.id)
            let bytes = document.text.allocatedBytes
            guard bytes <= capacity else { return }
            state.nextUse += 1
            state.documents[document.id] = (document, state.nextUse)
            state.uses.append((document.id, state.nextUse))
            state.storedBytes += bytes
            while state.storedBytes > capacity, state.head < state.uses.count {
                let oldest = state.uses[state.head]
                state.head += 1
                if state.documents[oldest.id]?.use == oldest.use { state.remove(oldest.id) }
            }
            state.compact()
        }
    }

    func remove(_ id: NoteID) {
        state.withLock { _ = $0.remove(id) }
    }

    var count: Int { state.withLock { $0.documents.count } }
}

extension NoteDocumentCache.State {
    @discardableResult
    mutating func remove(_ id: NoteID) -> NoteDocument? {
        guard let entry = documents.removeValue(forKey: id) else { return nil }
        storedBytes -= entry.document.text.allocatedBytes
        return entry.document
    }

    /// Drops skipped and stale uses once they outnumber the live ones.
    mutating func compact() {
        guard uses.count - head > 2 * documents.count + 64 || head > uses.count / 2 + 64 else { return }
        uses = uses[head...].filter { documents[$0.id]?.use == $0.use }
        head = 0
    }
}
