import Synchronization

/// A small in-memory map whose entries expire after a fixed lifetime: for lookups on the hot
/// path (a video's metadata, a session's account) that may be a few seconds stale but must not
/// cost a database round trip on every request. Bounded: when full, it starts over.
public final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expires: ContinuousClock.Instant
    }

    private let lifetime: Duration
    private let capacity: Int
    private let entries = Mutex<[Key: Entry]>([:])

    public init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    public func value(for key: Key) -> Value? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            if entry.expires > now { return entry.value }
            entries[key] = nil
            return nil
        }
    }

    public func store(_ value: Value, for key: Key) {
        let expires = ContinuousClock.now + lifetime
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(value: value, expires: expires)
        }
    }

    public func remove(_ key: Key) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    public func removeAll() {
        entries.withLock { $0.removeAll(keepingCapacity: true) }
    }

    /// The cached value, or `load()`'s result (cached unless nil).
    public func value(for key: Key, orLoad load: () async throws -> Value?) async rethrows -> Value? {
        if let hit = value(for: key) { return hit }
        guard let loaded = try await load() else { return nil }
        store(loaded, for: key)
        return loaded
    }
}
