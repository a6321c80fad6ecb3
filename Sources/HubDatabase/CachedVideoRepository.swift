import Foundation
import HubCore

/// A `VideoRepository` decorator that keeps recently read videos in memory for a few seconds.
///
/// Streaming looks a video up on every range request — a seeking browser or a CDN sends hundreds
/// a second — and measured under the streaming benchmark those lookups, each a hop to a SQLite
/// reader thread, cost more CPU than moving the bytes. Writes through this decorator invalidate
/// their entry at once; the time limit bounds how long a change made by another instance sharing
/// the database can go unseen.
public final class CachedVideoRepository: VideoRepository {
    private let base: any VideoRepository
    private let cache: ExpiringCache<VideoID, Video>

    public init(_ base: any VideoRepository, lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.base = base
        self.cache = ExpiringCache(lifetime: lifetime, capacity: capacity)
    }

    public func find(_ id: VideoID) async throws -> Video? {
        try await cache.value(for: id) { try await base.find(id) }
    }

    public func insert(_ video: Video) async throws {
        try await base.insert(video)
    }

    public func list(query: String?, visibility: Visibility, offset: Int, limit: Int) async throws -> Page<Video> {
        try await base.list(query: query, visibility: visibility, offset: offset, limit: limit)
    }

    public func update(_ id: VideoID, changes: VideoChanges, at date: Date) async throws -> Video? {
        cache.remove(id)
        defer { cache.remove(id) }
        return try await base.update(id, changes: changes, at: date)
    }

    public func delete(_ id: VideoID) async throws -> Video? {
        cache.remove(id)
        defer { cache.remove(id) }
        return try await base.delete(id)
    }

    public func ping() async throws { try await base.ping() }
    public func count() async throws -> Int { try await base.count() }
}
