import Foundation

/// One page of a listing, newest first.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var offset: Int
    public var limit: Int

    public init(items: [Item], total: Int, offset: Int, limit: Int) {
        self.items = items
        self.total = total
        self.offset = offset
        self.limit = limit
    }
}

/// Where video metadata lives (SQLite now, PostgreSQL later). The bytes live in an `ObjectStore`.
public protocol VideoRepository: Sendable {
    /// Records a new video; one that is `processing` gets its `MediaJobKind.prepare` job queued
    /// in the same transaction.
    func insert(_ video: Video) async throws
    func find(_ id: VideoID) async throws -> Video?
    /// Newest first, only what `visibility` allows. `query` matches title, description, tags and
    /// the words of captions, by word prefix; any text is safe.
    func list(query: String?, visibility: Visibility, offset: Int, limit: Int) async throws -> Page<Video>
    /// Applies `changes` and returns the updated video, or nil when there is no such video.
    func update(_ id: VideoID, changes: VideoChanges, at date: Date) async throws -> Video?
    /// Records a processing job's progress or outcome; nil when the video is gone.
    func recordProcessing(_ id: VideoID, _ update: ProcessingUpdate, at date: Date) async throws -> Video?
    /// Adds `track`, replacing the one of its language, and indexes its `cues` for search; the
    /// video with it, or nil when it is gone.
    func putCaption(_ id: VideoID, _ track: CaptionTrack, cues: [CaptionCue]) async throws -> Video?
    /// The first `perVideo` cues of each of `videos` (in time order) whose words `query` matches,
    /// as `list` matches them.
    func captionMatches(_ query: String, in videos: [VideoID], perVideo: Int) async throws -> [CaptionMatch]
    /// Removes the track of `language`; the video as it was before, or nil when it is gone.
    func removeCaption(_ id: VideoID, language: String) async throws -> Video?
    /// Returns the deleted video so its objects can be removed, or nil when there was none.
    func delete(_ id: VideoID) async throws -> Video?
    /// A cheap round trip, for readiness checks.
    func ping() async throws
    /// How many videos the hub has, whoever owns them.
    func count() async throws -> Int
    /// Up to `limit` videos, whoever owns them, in id order after `after`: a walk over the whole
    /// library (the storage report) that stays whole while videos come and go, where pages by
    /// offset would skip or repeat one, and cost more the further they go.
    func videos(after: VideoID?, limit: Int) async throws -> [Video]
}
