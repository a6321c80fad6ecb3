import HubCore
import Synchronization

/// Recently edited notes' documents, kept so a save costs a diff and a few operations instead of
/// a replay of the note's history. A document is taken out while it is being edited (so the
/// edit mutates it in place, without copying a large note) and put back afterwards; an entry
/// only serves a save when its version is the stored one, so a change recorded elsewhere (another
/// process, an import) is never edited over.
final class NoteDocumentCache: Sendable {
    fileprivate struct State {
        var documents: [NoteID: NoteDocument] = [:]
        /// Least recently used first.
        var order: [NoteID] = []
        var storedCharacters = 0
    }

    /// The budget, in characters held (deleted ones included): each is 32 bytes, and a
    /// document's buffer keeps up to as much again free for growth, so 2 M is at most 128 MiB.
    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 2 << 20) {
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
            guard document.text.storedCount <= capacity else { return }
            state.documents[document.id] = document
            state.order.append(document.id)
            state.storedCharacters += document.text.storedCount
            while state.storedCharacters > capacity, let oldest = state.order.first { state.remove(oldest) }
        }
    }

    func remove(_ id: NoteID) {
        state.withLock { _ = $0.remove(id) }
    }
}

extension NoteDocumentCache.State {
    @discardableResult
    mutating func remove(_ id: NoteID) -> NoteDocument? {
        guard let document = documents.removeValue(forKey: id) else { return nil }
        order.removeAll { $0 == id }
        storedCharacters -= document.text.storedCount
        return document
    }
}
