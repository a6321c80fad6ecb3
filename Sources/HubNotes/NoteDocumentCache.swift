import HubCore
import Synchronization

/// Recently edited notes' documents, kept so a save costs a diff and a few operations instead of
/// a replay of the note's history. A document is taken out while it is being edited (so the
/// edit mutates it in place, without copying a large note) and put back afterwards; an entry
/// only serves a save when its version is the stored one, so a change recorded elsewhere (another
/// process, an import) is never edited over.
final class NoteDocumentCache: Sendable {
    private struct State {
        var documents: [NoteID: NoteDocument] = [:]
        /// Least recently used first.
        var order: [NoteID] = []
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 128) {
        self.capacity = capacity
    }

    /// The document of `id` at `version`, removed from the cache; nil when it is not there.
    func take(_ id: NoteID, version: Int) -> NoteDocument? {
        state.withLock { state in
            guard let document = state.documents.removeValue(forKey: id) else { return nil }
            state.order.removeAll { $0 == id }
            return document.version == version ? document : nil
        }
    }

    func put(_ document: NoteDocument) {
        state.withLock { state in
            if state.documents.updateValue(document, forKey: document.id) != nil { state.order.removeAll { $0 == document.id } }
            state.order.append(document.id)
            while state.order.count > capacity { state.documents[state.order.removeFirst()] = nil }
        }
    }

    func remove(_ id: NoteID) {
        state.withLock { state in
            state.documents[id] = nil
            state.order.removeAll { $0 == id }
        }
    }
}
