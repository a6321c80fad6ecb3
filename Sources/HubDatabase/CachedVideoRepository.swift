import Foundation
import HubCore
import Synchronization

/// A `VideoRepository` decorator that keeps recently read videos in memory for a few seconds.
///
/// Streaming looks a video up on every range request — a seeking browser or a CDN sends hundreds
/// a second — and measured under the streaming benchmark those lookups, each a hop to a SQLite
/// reader thread, cost more CPU than moving the bytes. Writes through this decorator invalidate
/// their entry at once; the time limit bounds how long a change made by another instance sharing
/// the database can go unseen.
public final class CachedVideoRepository: VideoRepository {
    private struct Entry {
        var video: Video
        var expires: ContinuousClock.Instant
    }

    private let base: any VideoRepository
    private let lifetime: Duration
    private let capacity: Int
    private let entries = Mutex<[VideoID: Entry]>([:])

    public init(_ base: any VideoRepository, lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.base = base
        self.lifetime = lifetime
        self.capacity = capacity
    }

    public func find(_ id: VideoID) async throws -> Video? {
        let now = ContinuousClock.now
        if let hit = entries.withLock({ $0[id] }), hit.expires > now { return hit.video }
        guard let video = try await base.find(id) else { return nil }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[id] = Entry(video: video, expires: now + lifetime)
        }
        return video
    }

    public func insert(_ video: Video) async throws {
        try await base.insert(video)
    }

    public func list(query: String?, offset: Int, limit: Int) async throws -> Page<Video> {
        try await base.list(query: query, offset: offset, limit: limit)
    }

    public func update(_ id: VideoID, changes: VideoChanges, at date: Date) async throws -> Video? {
        invalidate(id)
        defer { invalidate(id) }
        return try await base.update(id, changes: changes, at: date)
    }

    public func delete(_ id: VideoID) async throws -> Video? {
        invalidate(id)
        defer { invalidate(id) }
        return try await base.delete(id)
    }

    public func ping() async throws { try await base.ping() }

    private func invalidate(_ id: VideoID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}
