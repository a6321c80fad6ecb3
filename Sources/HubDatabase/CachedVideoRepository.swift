import Foundation
import HubCore

/// A `VideoRepository` decorator that keeps recently read videos in memory for a few seconds.
///
/// Streaming looks a video up on every range request — a seeking browser or a CDN sends hundreds
/// a second — and measured under the streaming benchmark those lookups, each a hop to a SQLite
/// reader thread, cost more CPU than moving the bytes. Writes through this decorator invalidate
/// their entry at once, here and (through `broadcast`) on the other instances sharing the
/// database; the time limit bounds how long a change nobody broadcast can go unseen.
public final class CachedVideoRepository: VideoRepository, CacheInvalidating {
    private let base: any VideoRepository
    private let cache: ExpiringCache<VideoID, Video>
    private let broadcast: (any CacheBroadcast)?

    public init(_ base: any VideoRepository, lifetime: Duration = .seconds(5), capacity: Int = 10_000, broadcast: (any CacheBroadcast)? = nil) {
        self.base = base
        self.broadcast = broadcast
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
        let updated = try await base.update(id, changes: changes, at: date)
        await broadcast?.publish(.video(id))
        return updated
    }

    public func recordProcessing(_ id: VideoID, _ update: ProcessingUpdate, at date: Date) async throws -> Video? {
        cache.remove(id)
        defer { cache.remove(id) }
        let updated = try await base.recordProcessing(id, update, at: date)
        await broadcast?.publish(.video(id))
        return updated
    }

    public func putCaption(_ id: VideoID, _ track: CaptionTrack, cues: [CaptionCue]) async throws -> Video? {
        cache.remove(id)
        defer { cache.remove(id) }
        let updated = try await base.putCaption(id, track, cues: cues)
        await broadcast?.publish(.video(id))
        return updated
    }

    public func captionMatches(_ query: String, in videos: [VideoID], perVideo: Int) async throws -> [CaptionMatch] {
        try await base.captionMatches(query, in: videos, perVideo: perVideo)
    }

    public func removeCaption(_ id: VideoID, language: String) async throws -> Video? {
        cache.remove(id)
        defer { cache.remove(id) }
        let before = try await base.removeCaption(id, language: language)
        await broadcast?.publish(.video(id))
        return before
    }

    public func delete(_ id: VideoID) async throws -> Video? {
        cache.remove(id)
        defer { cache.remove(id) }
        let deleted = try await base.delete(id)
        await broadcast?.publish(.video(id))
        return deleted
    }

    public func invalidate(_ change: CachedChange) {
        switch change {
        case .video(let id): cache.remove(id)
        case .everything: cache.removeAll()
        case .account, .tokens: break
        }
    }

    public func ping() async throws { try await base.ping() }
    public func count() async throws -> Int { try await base.count() }
    public func videos(after: VideoID?, limit: Int) async throws -> [Video] { try await base.videos(after: after, limit: limit) }
}
