import Foundation
import HubCore
import Logging
import PostgresNIO

/// `VideoRepository` on PostgreSQL, in the `video` table.
public struct PostgresVideoRepository: VideoRepository {
    let client: PostgresPool
    let logger: Logger

    static let columns = """
        id, title, description, tags, original_filename, content_type, size_bytes, sha256, storage_key, thumbnail_key,
        duration_seconds, width, height, video_codec, audio_codec, created_at, updated_at, owner_id, shared, status, progress, failure, renditions, previews, captions
        """

    public func insert(_ video: Video) async throws {
        let insert: PostgresQuery = """
            INSERT INTO video (
                id, title, description, tags, original_filename, content_type, size_bytes, sha256, storage_key, thumbnail_key,
                duration_seconds, width, height, video_codec, audio_codec, created_at, updated_at, owner_id, shared, status, progress, failure,
                renditions, previews, captions)
            VALUES (
                \(video.id.rawValue), \(video.title), \(video.description), \(video.tags), \(video.originalFilename),
                \(video.contentType), \(video.sizeBytes), \(video.sha256), \(video.storageKey), \(video.thumbnailKey),
                \(video.media.durationSeconds), \(video.media.width), \(video.media.height), \(video.media.videoCodec),
                \(video.media.audioCodec), \(video.createdAt), \(video.updatedAt), \(video.ownerID?.rawValue), \(video.isShared),
                \(video.processing.status.rawValue), \(video.processing.progress), \(video.processing.failure),
                \(try Self.encode(video.renditions)), \(try video.previews.map { try Self.encode($0) }),
                \(try Self.encode(video.captions)))
            """
        guard video.processing.status == .processing else {
            try await client.execute(insert, logger: logger)
            return
        }
        try await client.transaction(logger: logger) { connection in
            try await connection.execute(insert, logger: logger)
            try await PostgresMediaJobQueue.queue(.prepare, for: video.id, at: video.createdAt, on: connection, logger: logger)
        }
    }

    public func find(_ id: VideoID) async throws -> Video? {
        try await client.rows("SELECT \(unescaped: Self.columns) FROM video WHERE id = \(id.rawValue)", logger: logger)
            .first.map(Self.video)
    }

    public func list(query: String?, visibility: Visibility, offset: Int, limit: Int) async throws -> Page<Video> {
        var statement = PostgresStatement()
        var conditions = ["true"]
        if case .ownedOrShared(let user) = visibility {
            conditions.append("(owner_id = \(statement.bind(user.rawValue)) OR shared)")
        }
        if let query, !query.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let words = SearchText.prefixQuery(query) else { return Page(items: [], total: 0, offset: offset, limit: limit) }
            let terms = statement.bind(words)
            conditions.append(
                "(search @@ to_tsquery('hub_search', \(terms)) OR id IN (SELECT video_id FROM caption_cue WHERE search @@ to_tsquery('hub_search', \(terms))))")
        }
        let filter = conditions.joined(separator: " AND ")
        let total = try await client.scalar(statement.query("SELECT COUNT(*) FROM video WHERE \(filter)"), as: Int.self, logger: logger) ?? 0
        let page = "ORDER BY created_at DESC, id LIMIT \(statement.bind(limit)) OFFSET \(statement.bind(offset))"
        let rows = try await client.rows(statement.query("SELECT \(Self.columns) FROM video WHERE \(filter) \(page)"), logger: logger)
        return Page(items: try rows.map(Self.video), total: total, offset: offset, limit: limit)
    }

    public func update(_ id: VideoID, changes: VideoChanges, at date: Date) async throws -> Video? {
        // NULL leaves a column as it is, so one statement applies whichever changes were given.
        let rows = try await client.rows(
            """
            UPDATE video SET
                title = COALESCE(\(changes.title), title),
                description = COALESCE(\(changes.description), description),
                tags = COALESCE(\(changes.tags), tags),
                shared = COALESCE(\(changes.shared), shared),
                updated_at = \(date)
            WHERE id = \(id.rawValue)
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        return try rows.first.map(Self.video)
    }

    public func recordProcessing(_ id: VideoID, _ update: ProcessingUpdate, at date: Date) async throws -> Video? {
        // A read-modify-write with the row locked, so the update means what `Video.apply` says
        // on both databases: the ladder and the other renditions replace only their own kind.
        try await client.transaction(logger: logger) { connection in
            guard let row = try await connection.rows(
                "SELECT \(unescaped: Self.columns) FROM video WHERE id = \(id.rawValue) FOR UPDATE", logger: self.logger
            ).first else { return nil }
            var video = try Self.video(row)
            video.apply(update, at: date)
            try await connection.execute(
                """
                UPDATE video SET
                    status = \(video.processing.status.rawValue), progress = \(video.processing.progress), failure = \(video.processing.failure),
                    duration_seconds = \(video.media.durationSeconds), width = \(video.media.width), height = \(video.media.height),
                    video_codec = \(video.media.videoCodec), audio_codec = \(video.media.audioCodec), thumbnail_key = \(video.thumbnailKey),
                    renditions = \(try Self.encode(video.renditions)), previews = \(try video.previews.map { try Self.encode($0) }),
                    sha256 = \(video.sha256), size_bytes = \(video.sizeBytes), updated_at = \(video.updatedAt)
                WHERE id = \(id.rawValue)
                """, logger: self.logger)
            return video
        }
    }

    public func putCaption(_ id: VideoID, _ track: CaptionTrack, cues: [CaptionCue]) async throws -> Video? {
        try await changeCaptions(id, language: track.language, cues: cues) { captions in
            captions.removeAll { $0.language == track.language }
            captions.append(track)
            captions.sort { $0.language < $1.language }
        }?.after
    }

    public func captionMatches(_ query: String, in videos: [VideoID], perVideo: Int) async throws -> [CaptionMatch] {
        guard !videos.isEmpty, perVideo > 0, let words = SearchText.prefixQuery(query) else { return [] }
        let rows = try await client.rows(
            """
            SELECT video_id, language, start_milliseconds, text FROM (
                SELECT video_id, language, start_milliseconds, text,
                    ROW_NUMBER() OVER (PARTITION BY video_id ORDER BY start_milliseconds, language) AS place
                FROM caption_cue WHERE video_id = ANY(\(videos.map(\.rawValue))) AND search @@ to_tsquery('hub_search', \(words))
            ) AS matched WHERE place <= \(perVideo) ORDER BY video_id, start_milliseconds
            """, logger: logger)
        return try rows.compactMap { row in
            try VideoID(row.value("video_id", as: String.self)).map {
                CaptionMatch(
                    videoID: $0, language: try row.value("language", as: String.self), startMilliseconds: try row.value("start_milliseconds", as: Int.self),
                    text: try row.value("text", as: String.self))
            }
        }
    }

    public func removeCaption(_ id: VideoID, language: String) async throws -> Video? {
        try await changeCaptions(id, language: language, cues: []) { captions in captions.removeAll { $0.language == language } }?.before
    }

    /// A read-modify-write of one video's captions, the row locked (`FOR UPDATE`) so two
    /// uploads of captions at once, on any instances, both land; `language`'s indexed cues
    /// become `cues` in the same transaction.
    private func changeCaptions(
        _ id: VideoID, language: String, cues: [CaptionCue], _ change: @escaping @Sendable (inout [CaptionTrack]) -> Void
    ) async throws -> (before: Video, after: Video)? {
        try await client.transaction(logger: logger) { connection in
            guard let row = try await connection.rows(
                "SELECT \(unescaped: Self.columns) FROM video WHERE id = \(id.rawValue) FOR UPDATE", logger: logger
            ).first else { return nil }
            let before = try Self.video(row)
            var after = before
            change(&after.captions)
            try await connection.execute(
                "UPDATE video SET captions = \(try Self.encode(after.captions)) WHERE id = \(id.rawValue)", logger: self.logger)
            try await connection.execute(
                "DELETE FROM caption_cue WHERE video_id = \(id.rawValue) AND language = \(language)", logger: self.logger)
            // One statement for all cues (up to 50,000): arrays unnested server-side.
            if !cues.isEmpty {
                try await connection.execute(
                    """
                    INSERT INTO caption_cue (video_id, language, position, start_milliseconds, text)
                    SELECT \(id.rawValue), \(language), place - 1, start, words
                    FROM unnest(\(cues.map(\.startMilliseconds)), \(cues.map(\.text))) WITH ORDINALITY AS cue (start, words, place)
                    """, logger: self.logger)
            }
            return (before, after)
        }
    }

    public func delete(_ id: VideoID) async throws -> Video? {
        try await client.rows("DELETE FROM video WHERE id = \(id.rawValue) RETURNING \(unescaped: Self.columns)", logger: logger)
            .first.map(Self.video)
    }

    public func ping() async throws {
        _ = try await client.scalar("SELECT 1", as: Int.self, logger: logger)
    }

    public func count() async throws -> Int {
        try await client.scalar("SELECT COUNT(*) FROM video", as: Int.self, logger: logger) ?? 0
    }

    public func videos(after: VideoID?, limit: Int) async throws -> [Video] {
        let rows = try await client.rows(
            "SELECT \(unescaped: Self.columns) FROM video WHERE id > \(after?.rawValue ?? "") ORDER BY id LIMIT \(limit)", logger: logger)
        return try rows.map(Self.video)
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func video(_ row: PostgresRandomAccessRow) throws -> Video {
        Video(
            id: try VideoID(row.value("id", as: String.self)).orThrow(column: "video.id"),
            title: try row.value("title"), description: try row.value("description"), tags: try row.value("tags"),
            originalFilename: try row.value("original_filename"), contentType: try row.value("content_type"),
            sizeBytes: try row.value("size_bytes"), sha256: try row.value("sha256"), storageKey: try row.value("storage_key"),
            thumbnailKey: try row.value("thumbnail_key"),
            media: MediaInfo(
                durationSeconds: try row.value("duration_seconds"), width: try row.value("width"), height: try row.value("height"),
                videoCodec: try row.value("video_codec"), audioCodec: try row.value("audio_codec")),
            createdAt: try row.value("created_at"), updatedAt: try row.value("updated_at"),
            ownerID: try row.value("owner_id", as: String?.self).flatMap(UserID.init), isShared: try row.value("shared"),
            processing: ProcessingState(
                status: VideoStatus(rawValue: try row.value("status")) ?? .ready, progress: try row.value("progress"),
                failure: try row.value("failure")),
            renditions: try JSONDecoder().decode([Rendition].self, from: Data(row.value("renditions", as: String.self).utf8)),
            previews: try row.value("previews", as: String?.self).map { try JSONDecoder().decode(SeekPreviews.self, from: Data($0.utf8)) },
            captions: try JSONDecoder().decode([CaptionTrack].self, from: Data(row.value("captions", as: String.self).utf8)))
    }
}
