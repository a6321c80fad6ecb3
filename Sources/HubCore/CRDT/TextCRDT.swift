#if canImport(Glibc)
import Glibc
#endif

/// Which replica typed a character: a number derived from a hub's node id (or, in tests and
/// trace replays, an agent number). Ties between concurrent inserts at one place are broken by it,
/// so every replica orders them the same way.
public typealias ReplicaID = UInt64

/// One character's identity everywhere: the replica that inserted it and that replica's counter.
public struct CharacterID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var replica: ReplicaID
    public var counter: UInt32

    public init(replica: ReplicaID, counter: UInt32) {
        self.replica = replica
        self.counter = counter
    }

    public var description: String { "\(replica).\(counter)" }
}

/// A change to a text, as it travels between replicas. Runs keep it small: typing or pasting n
/// characters is one insert whose ids are consecutive, deleting a span typed in one go is one
/// delete.
public enum TextOperation: Sendable, Hashable {
    /// `text`'s characters get ids `first`, `first+1`, …; the first goes after `after` (nil: the
    /// start) and before `before` (nil: the end), each next one right after the one before it.
    case insert(first: CharacterID, after: CharacterID?, before: CharacterID?, text: [Unicode.Scalar])
    /// Removes the characters `replica.counters` (already removed ones stay removed).
    case delete(replica: ReplicaID, counters: ClosedRange<UInt32>)
}

/// A sequence CRDT for note content: YATA, the algorithm of Yjs, over a gap buffer of one item per
/// character.
///
/// Every character ever inserted stays as an item (deleted ones as tombstones), with the ids of
/// its neighbours when it was inserted (its origins). A remote insert is placed between its
/// origins, and concurrent inserts at the same place are ordered by YATA's rules, so all replicas
/// that applied the same operations hold the same text whatever order they came in (causal
/// order assumed: an operation arrives after those it refers to).
///
/// Why a gap buffer: edits cluster (people type where they typed last), so keeping the gap and a
/// cursor at the last edit makes a local edit O(1) amortized plus the distance moved, with no
/// tree to maintain. A replay of a 260,000-keystroke paper (automerge-paper) is the benchmark
/// (`trace-replay`).
public struct TextCRDT: Sendable {
    public let replica: ReplicaID
    private var items: GapBuffer
    private var nextCounter: UInt32 = 0
    /// The highest counter applied per replica: a remote insert at or below it is a duplicate.
    private var applied: [ReplicaID: UInt32] = [:]
    /// A raw index and how many visible items lie before it; where the last edit was.
    private var cursor = (raw: 0, visible: 0)
    public private(set) var count = 0
    /// Replica ids by local index, and back.
    private var replicas: [ReplicaID] = []
    private var replicaIndex: [ReplicaID: UInt32] = [:]

    public init(replica: ReplicaID) {
        self.replica = replica
        self.items = GapBuffer()
        // This replica is always local index 0, so local edits need no table lookup.
        replicas = [replica]
        replicaIndex = [replica: 0]
    }

    private mutating func local(_ id: CharacterID?) -> LocalID {
        guard let id else { return .none }
        if let index = replicaIndex[id.replica] { return LocalID(replica: index, counter: id.counter) }
        let index = UInt32(replicas.count)
        replicas.append(id.replica)
        replicaIndex[id.replica] = index
        return LocalID(replica: index, counter: id.counter)
    }

    private func global(_ id: LocalID) -> CharacterID? {
        id == .none ? nil : CharacterID(replica: replicas[Int(id.replica)], counter: id.counter)
    }

    /// The text now, as Unicode scalars (the unit positions count in).
    public var scalars: [Unicode.Scalar] {
        [Unicode.Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            items.forEachSegment { segment in
                for item in segment where !item.deleted {
                    buffer[index] = item.scalar
                    index += 1
                }
            }
            initialized = index
        }
    }

    public var text: String { String(scalars: scalars) }

    /// What the characters' buffer occupies: 32 bytes per slot, with the gap's free slots and the
    /// array's spare capacity (together up to three times the characters themselves).
    public var allocatedBytes: Int { items.allocatedBytes }

    /// The counter this replica's next inserted character gets.
    public var nextLocalCounter: UInt32 { nextCounter }

    /// Makes local inserts start at `counter` or later: a copy of an older state that makes
    /// edits to merge back must not reuse ids the newer state already gave out.
    public mutating func reserveCounters(below counter: UInt32) {
        nextCounter = max(nextCounter, counter)
    }

    // MARK: - Local edits

    /// Inserts `text` before the visible character at `position` (`count` appends) and returns
    /// the operation to send to other replicas.
    @discardableResult
    public mutating func insert(_ text: [Unicode.Scalar], at position: Int) -> TextOperation? {
        precondition(position >= 0 && position <= count, "insert at \(position) of \(count)")
        guard !text.isEmpty else { return nil }
        let raw = position == 0 ? 0 : rawIndex(ofVisible: position - 1) + 1
        let after = raw == 0 ? LocalID.none : items[raw - 1].id
        let before = raw < items.count ? items[raw].id : LocalID.none
        let first = CharacterID(replica: replica, counter: nextCounter)
        place(first: LocalID(replica: 0, counter: nextCounter), after: after, before: before, text: text[...], at: raw)
        nextCounter += UInt32(text.count)
        cursor = (raw + text.count, position + text.count)
        return .insert(first: first, after: global(after), before: global(before), text: text)
    }

    /// Deletes `length` visible characters from `position`; returns one operation per run of
    /// consecutive ids.
    @discardableResult
    public mutating func delete(at position: Int, length: Int) -> [TextOperation] {
        precondition(position >= 0 && length >= 0 && position + length <= count, "delete \(position)+\(length) of \(count)")
        var operations: [TextOperation] = []
        guard length > 0 else { return operations }
        var raw = rawIndex(ofVisible: position)
        var remaining = length
        while remaining > 0 {
            if items[raw].deleted {
                raw += 1
                continue
            }
            let id = global(items[raw].id)!
            items.markDeleted(raw)
            count -= 1
            remaining -= 1
            if case .delete(let replica, let counters) = operations.last, replica == id.replica, counters.upperBound &+ 1 == id.counter {
                operations[operations.count - 1] = .delete(replica: replica, counters: counters.lowerBound...id.counter)
            } else {
                operations.append(.delete(replica: id.replica, counters: id.counter...id.counter))
            }
            raw += 1
        }
        // The cursor (at the first deleted item) still has `position` visible items before it.
        return operations
    }

    // MARK: - Remote operations

    /// Why `operation`, made by `author`'s replica, cannot be applied to this text, if it cannot:
    /// it inserts under another replica's name, refers to characters this text has never held
    /// (causal delivery means everything an operation names has arrived before it), or has ids
    /// past the counter's range. Checked in constant time, whatever ranges the operation names,
    /// so a 300-byte delete of `0...250000000` costs nothing to refuse.
    public func refusal(of operation: TextOperation, madeBy author: ReplicaID) -> String? {
        switch operation {
        case .insert(let first, let after, let before, let text):
            guard first.replica == author else { return "an insert names another replica's characters as its own" }
            guard !text.isEmpty, UInt64(first.counter) + UInt64(text.count) <= UInt64(UInt32.max) else {
                return "an insert's ids are empty or past the counter's range"
            }
            for origin in [after, before].compactMap(\.self) where !holds(origin) {
                return "an insert refers to a character this note has never held"
            }
            return nil
        case .delete(let replica, let counters):
            guard let highest = highestCounter(of: replica), counters.upperBound <= highest else {
                return "a delete names characters this note has never held"
            }
            return nil
        }
    }

    /// Whether a character with this id was ever inserted here (deleted or not): its replica's
    /// counter has reached it. Ids are given out consecutively, so this needs no search.
    private func holds(_ id: CharacterID) -> Bool {
        highestCounter(of: id.replica).map { id.counter <= $0 } ?? false
    }

    /// The highest counter of `replica`'s characters applied here, nil when it has none.
    private func highestCounter(of replica: ReplicaID) -> UInt32? {
        if replica == self.replica { return nextCounter == 0 ? nil : nextCounter - 1 }
        return applied[replica]
    }

    /// Applies an operation from another replica (or a repeat of one already applied, which
    /// changes nothing).
    public mutating func apply(_ operation: TextOperation) {
        switch operation {
        case .insert(let first, let after, let before, let text):
            let seen = first.replica == replica ? Int64(nextCounter) - 1 : applied[first.replica].map { Int64($0) } ?? -1
            let skip = Int(max(0, seen - Int64(first.counter) + 1))
            guard skip < text.count else { return }
            var left = after
            var start = first
            if skip > 0 {
                start = CharacterID(replica: first.replica, counter: first.counter + UInt32(skip))
                left = CharacterID(replica: first.replica, counter: start.counter - 1)
            }
            let (startID, leftID, rightID) = (local(start), local(left), local(before))
            let raw = integrationIndex(id: startID, after: leftID, before: rightID)
            place(first: startID, after: leftID, before: rightID, text: text[skip...], at: raw)
            applied[first.replica] = first.counter + UInt32(text.count) - 1
            if first.replica == replica { nextCounter = max(nextCounter, first.counter + UInt32(text.count)) }
        case .delete(let replica, let counters):
            guard let replica = replicaIndex[replica] else { return }
            // A long range is one pass over the items, not one search per counter: the cost is
            // bounded by what the text holds, never by the numbers an operation names.
            if counters.count > Self.searchedDeleteLength {
                deleteByScanning(replica: replica, counters: counters)
                return
            }
            var near: Int?
            for counter in counters {
                guard let raw = index(of: LocalID(replica: replica, counter: counter), near: near) else { continue }
                near = raw + 1
                guard !items[raw].deleted else { continue }
                items.markDeleted(raw)
                count -= 1
                if raw < cursor.raw { cursor.visible -= 1 }
            }
        }
    }

    /// Up to how many counters a delete looks up one by one (each search starts where the
    /// previous one ended, so a run typed in one go is found in one short walk).
    static let searchedDeleteLength = 64

    private mutating func deleteByScanning(replica: UInt32, counters: ClosedRange<UInt32>) {
        for raw in 0..<items.count {
            let item = items[raw]
            guard item.id.replica == replica, counters.contains(item.id.counter), !item.deleted else { continue }
            items.markDeleted(raw)
            count -= 1
            if raw < cursor.raw { cursor.visible -= 1 }
        }
    }

    /// Puts a run's items at `raw`: the first after `after`, each next one after the previous.
    private mutating func place(first: LocalID, after: LocalID, before: LocalID, text: ArraySlice<Unicode.Scalar>, at raw: Int) {
        var left = after
        for (offset, scalar) in text.enumerated() {
            let id = LocalID(replica: first.replica, counter: first.counter + UInt32(offset))
            items.insert(Item(id: id, originLeft: left, originRight: before, scalar: scalar, deleted: false), at: raw + offset)
            left = id
        }
        count += text.count
        if raw <= cursor.raw { cursor = (cursor.raw + text.count, cursor.visible + text.count) }
    }

    /// YATA: where an insert with these origins goes among the items between them. Items in that
    /// gap that were inserted concurrently at the same place are ordered by replica; items whose
    /// own origin lies inside the gap stay with it.
    private func integrationIndex(id: LocalID, after: LocalID, before: LocalID) -> Int {
        let leftIndex = after == .none ? -1 : index(of: after) ?? -1
        let rightIndex = before == .none ? items.count : index(of: before) ?? items.count
        let scanStart = leftIndex + 1
        var destination = scanStart
        var conflictStart = scanStart
        var i = scanStart
        while i < rightIndex {
            let other = items[i]
            if other.originLeft == after {
                if replicas[Int(other.id.replica)] < replicas[Int(id.replica)] {
                    destination = i + 1
                    conflictStart = i + 1
                } else if other.originRight == before {
                    break
                }
            } else if other.originLeft != .none, let otherLeftIndex = index(of: other.originLeft, near: i),
                otherLeftIndex >= scanStart, otherLeftIndex < i
            {
                if otherLeftIndex < conflictStart {
                    destination = i + 1
                    conflictStart = i + 1
                }
            } else {
                break
            }
            i += 1
        }
        return destination
    }

    // MARK: - Finding items

    /// The raw index of the `position`-th visible item, walking from the cursor.
    private mutating func rawIndex(ofVisible position: Int) -> Int {
        var (raw, visible) = cursor
        if raw > items.count { (raw, visible) = (0, 0) }
        // Walk back until at or before the target, then forward to it.
        while visible > position {
            raw -= 1
            if !items[raw].deleted { visible -= 1 }
        }
        while true {
            if !items[raw].deleted {
                if visible == position { break }
                visible += 1
            }
            raw += 1
        }
        cursor = (raw, visible)
        return raw
    }

    /// The raw index of an item, searched outwards from `near` (the cursor by default): ids an
    /// operation refers to are almost always close to where the last edit was.
    private func index(of id: LocalID, near: Int? = nil) -> Int? {
        let start = min(max(near ?? cursor.raw, 0), max(items.count - 1, 0))
        guard items.count > 0 else { return nil }
        var low = start
        var high = start + 1
        while low >= 0 || high < items.count {
            if low >= 0 {
                if items[low].id == id { return low }
                low -= 1
            }
            if high < items.count {
                if items[high].id == id { return high }
                high += 1
            }
        }
        return nil
    }
}

/// A character id inside one `TextCRDT`: the replica as an index into its table of replicas,
/// so an item is 32 bytes and a gap move or a walk touches 2.5x less memory than with full ids.
struct LocalID: Hashable, Sendable {
    var replica: UInt32
    var counter: UInt32

    /// No character: the start (as a left origin) or the end (as a right origin).
    static let none = LocalID(replica: .max, counter: .max)
}

/// One character, live or deleted, with its origins.
struct Item: Sendable {
    var id: LocalID
    var originLeft: LocalID
    var originRight: LocalID
    var scalar: Unicode.Scalar
    var deleted: Bool
}

/// An array with a gap where the last insert was: inserting next to it costs no moves, moving it
/// costs one `memmove` of the distance.
struct GapBuffer: Sendable {
    private var storage: [Item] = []
    private var gapStart = 0
    private var gapEnd = 0

    var count: Int { storage.count - (gapEnd - gapStart) }

    var allocatedBytes: Int { storage.capacity * MemoryLayout<Item>.stride }

    subscript(index: Int) -> Item {
        storage[index < gapStart ? index : index + gapEnd - gapStart]
    }

    mutating func markDeleted(_ index: Int) {
        storage[index < gapStart ? index : index + gapEnd - gapStart].deleted = true
    }

    /// The items before the gap, then those after it, as contiguous buffers.
    func forEachSegment(_ body: (UnsafeBufferPointer<Item>) -> Void) {
        storage.withUnsafeBufferPointer { buffer in
            body(UnsafeBufferPointer(rebasing: buffer[0..<gapStart]))
            body(UnsafeBufferPointer(rebasing: buffer[gapEnd..<buffer.count]))
        }
    }

    mutating func insert(_ item: Item, at index: Int) {
        if gapStart == gapEnd { grow() }
        moveGap(to: index)
        storage[gapStart] = item
        gapStart += 1
    }

    private mutating func moveGap(to index: Int) {
        guard index != gapStart else { return }
        let gap = gapEnd - gapStart
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            let stride = MemoryLayout<Item>.stride
            if index < gapStart {
                // Items [index, gapStart) move to the end of the gap.
                memmove(base + (index + gap) * stride, base + index * stride, (gapStart - index) * stride)
            } else {
                // Items [gapEnd, index + gap) move to the start of the gap.
                memmove(base + gapStart * stride, base + gapEnd * stride, (index - gapStart) * stride)
            }
        }
        gapEnd = index + gap
        gapStart = index
    }

    private mutating func grow() {
        let oldCount = storage.count
        let added = max(64, oldCount)
        let placeholder = Item(id: .none, originLeft: .none, originRight: .none, scalar: " ", deleted: true)
        storage.append(contentsOf: repeatElement(placeholder, count: added))
        // The items after the gap move to the new end; the gap grows by `added`.
        let tail = oldCount - gapEnd
        storage.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeMutableRawPointer(buffer.baseAddress!)
            let stride = MemoryLayout<Item>.stride
            memmove(base + (gapEnd + added) * stride, base + gapEnd * stride, tail * stride)
        }
        gapEnd += added
    }
}
