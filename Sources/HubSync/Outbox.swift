import HubCore
import Synchronization

/// Notes with changes to gossip in the next round: from which version, and which nodes not to
/// send them to (the peer they came from and the nodes that made them already hold them).
/// Changes arriving between rounds collapse into one entry per note, which is the batching.
final class Outbox: Sendable {
    struct Entry: Sendable, Equatable {
        var from: Int
        var except: Set<NodeID>
    }

    private let entries = Mutex<[NoteID: Entry]>([:])

    func add(_ note: NoteID, from version: Int, except: Set<NodeID> = []) {
        entries.withLock { entries in
            if let known = entries[note] {
                entries[note] = Entry(from: min(known.from, version), except: known.except.intersection(except))
            } else {
                entries[note] = Entry(from: version, except: except)
            }
        }
    }

    func drain() -> [NoteID: Entry] {
        entries.withLock { entries in
            defer { entries.removeAll() }
            return entries
        }
    }

    var isEmpty: Bool { entries.withLock { $0.isEmpty } }
}
