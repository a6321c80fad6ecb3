import Foundation
import GRDB
import HubCore

/// `VideoRepository` on the hub's SQLite database.
public struct SQLiteVideoRepository: VideoRepository {
    let writer: any DatabaseWriter

    public func insert(_ video: Video) async throws {
        try await writer.write { db in
            try VideoRow(video).insert(db)
            if video.processing.status == .processing {
                try SQLiteMediaJobQueue.queue(.prepare, for: video.id, at: video.createdAt, in: db)
            }
        }
    }

    public func find(_ id: VideoID) async throws -> Video? {
        try await writer.read { db in try VideoRow.fetchOne(db, key: id.rawValue)?.video }
    }

    public func list(query: String?, visibility: Visibility, offset: Int, limit: Int) async throws -> Page<Video> {
        try await writer.read { db in
            var request = VideoRow.all()
            switch visibility {
            case .everything: break
            case .ownedOrShared(let user): request = request.filter(Column("ownerID") == user.rawValue || Column("shared") == true)
            }
            if let query, !query.trimmingCharacters(in: .whitespaces).isEmpty {
                // FTS5Pattern builds the MATCH expression from words only, so quotes, operators
                // and SQL in the query are searched for as text, never interpreted.
                guard let pattern = FTS5Pattern(matchingAllPrefixesIn: query) else {
                    return Page(items: [], total: 0, offset: offset, limit: limit)
                }
                request = request.filter(
                    sql: """
                        video.rowid IN (SELECT rowid FROM videoSearch WHERE videoSearch MATCH ?)
                        OR video.id IN (SELECT videoID FROM captionCue WHERE rowid IN (SELECT rowid FROM captionSearch WHERE captionSearch MATCH ?))
                        """,
                    arguments: [pattern, pattern])
            }
            let total = try request.fetchCount(db)
            let rows = try request.order(Column("createdAt").desc, Column("id")).limit(limit, offset: offset).fetchAll(db)
            return Page(items: rows.map(\.video), total: total, offset: offset, limit: limit)
        }
    }

    public func update(_ id: VideoID, changes: VideoChanges, at date: Date) async throws -> Video? {
        try await writer.write { db in
            guard var video = try VideoRow.fetchOne(db, key: id.rawValue)?.video else { return nil }
            if let title = changes.title { video.title = title }
            if let description = changes.description { video.description = description }
            if let tags = changes.tags { video.tags = tags }
            if let shared = changes.shared { video.isShared = shared }
            video.updatedAt = date
            try VideoRow(video).update(db)
            return video
        }
    }

    public func recordProcessing(_ id: VideoID, _ update: ProcessingUpdate, at date: Date) async throws -> Video? {
        try await writer.write { db in
            guard var video = try VideoRow.fetchOne(db, key: id.rawValue)?.video else { return nil }
            video.apply(update, at: date)
            try VideoRow(video).update(db)
            return video
        }
    }

    public func putCaption(_ id: VideoID, _ track: CaptionTrack, cues: [CaptionCue]) async throws -> Video? {
        try await writer.write { db in
            guard var video = try VideoRow.fetchOne(db, key: id.rawValue)?.video else { return nil }
            video.captions.removeAll { $0.language == track.language }
            video.captions.append(track)
            video.captions.sort { $0.language < $1.language }
            try VideoRow(video).update(db)
            try db.execute(sql: "DELETE FROM captionCue WHERE videoID = ? AND language = ?", arguments: [id.rawValue, track.language])
            let insert = try db.makeStatement(sql: "INSERT INTO captionCue (videoID, language, position, startMilliseconds, text) VALUES (?, ?, ?, ?, ?)")
            for (position, cue) in cues.enumerated() {
                try insert.execute(arguments: [id.rawValue, track.language, position, cue.startMilliseconds, cue.text])
            }
            return video
        }
    }

    public func captionMatches(_ query: String, in videos: [VideoID], perVideo: Int) async throws -> [CaptionMatch] {
        guard !videos.isEmpty, perVideo > 0, let pattern = FTS5Pattern(matchingAllPrefixesIn: query) else { return [] }
        return try await writer.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT videoID, language, startMilliseconds, text FROM (
                        SELECT *, ROW_NUMBER() OVER (PARTITION BY videoID ORDER BY startMilliseconds, language) AS place FROM captionCue
                        WHERE videoID IN (\(databaseQuestionMarks(count: videos.count)))
                        AND rowid IN (SELECT rowid FROM captionSearch WHERE captionSearch MATCH ?)
                    ) WHERE place <= ? ORDER BY videoID, startMilliseconds
                    """,
                arguments: StatementArguments(videos.map(\.rawValue) + [pattern.rawPattern, perVideo] as [any DatabaseValueConvertible]))
            return rows.compactMap { row in
                VideoID(row["videoID"] as String).map {
                    CaptionMatch(videoID: $0, language: row["language"], startMilliseconds: row["startMilliseconds"], text: row["text"])
                }
            }
        }
    }

    public func removeCaption(_ id: VideoID, language: String) async throws -> Video? {
        try await writer.write { db in
            guard let before = try VideoRow.fetchOne(db, key: id.rawValue)?.video else { return nil }
            var video = before
            video.captions.removeAll { $0.language == language }
            if video.captions != before.captions { try VideoRow(video).update(db) }
            try db.execute(sql: "DELETE FROM captionCue WHERE videoID = ? AND language = ?", arguments: [id.rawValue, language])
            return before
        }
    }

    public func delete(_ id: VideoID) async throws -> Video? {
        try await writer.write { db in
            guard let row = try VideoRow.fetchOne(db, key: id.rawValue) else { return nil }
            try row.delete(db)
            return row.video
        }
    }

    public func ping() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func count() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM video") ?? 0 }
    }

    public func videos(after: VideoID?, limit: Int) async throws -> [Video] {
        try await writer.read { db in
            try VideoRow.filter(Column("id") > (after?.rawValue ?? "")).order(Column("id")).limit(limit).fetchAll(db).map(\.video)
        }
    }
}

/// The `video` table's row. Kept apart from the domain `Video` so the schema can change without
/// touching HubCore.
struct VideoRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "video"

    var id: String
    var title: String
    var description: String
    var tags: String
    var originalFilename: String
    var contentType: String
    var sizeBytes: Int64
    var sha256: String
    var storageKey: String
    var thumbnailKey: String?
    var durationSeconds: Double?
    var width: Int?
    var height: Int?
    var videoCodec: String?
    var audioCodec: String?
    var createdAt: Date
    var updatedAt: Date
    var ownerID: String?
    var shared: Bool
    var status: String
    var progress: Double?
    var failure: String?
    var renditions: String
    var previews: String?
    var captions: String

    init(_ video: Video) {
        id = video.id.rawValue
        title = video.title
        description = video.description
        tags = JSONColumn.encode(video.tags)
        originalFilename = video.originalFilename
        contentType = video.contentType
        sizeBytes = video.sizeBytes
        sha256 = video.sha256
        storageKey = video.storageKey
        thumbnailKey = video.thumbnailKey
        durationSeconds = video.media.durationSeconds
        width = video.media.width
        height = video.media.height
        videoCodec = video.media.videoCodec
        audioCodec = video.media.audioCodec
        createdAt = video.createdAt
        updatedAt = video.updatedAt
        ownerID = video.ownerID?.rawValue
        shared = video.isShared
        status = video.processing.status.rawValue
        progress = video.processing.progress
        failure = video.processing.failure
        renditions = JSONColumn.encode(video.renditions)
        previews = video.previews.map { JSONColumn.encode($0) }
        captions = JSONColumn.encode(video.captions)
    }

    var video: Video {
        Video(
            id: VideoID(id) ?? VideoID(),
            title: title, description: description,
            tags: JSONColumn.decode([String].self, from: tags) ?? [],
            originalFilename: originalFilename, contentType: contentType, sizeBytes: sizeBytes,
            sha256: sha256, storageKey: storageKey, thumbnailKey: thumbnailKey,
            media: MediaInfo(
                durationSeconds: durationSeconds, width: width, height: height,
                videoCodec: videoCodec, audioCodec: audioCodec),
            createdAt: createdAt, updatedAt: updatedAt, ownerID: ownerID.flatMap(UserID.init), isShared: shared,
            processing: ProcessingState(status: VideoStatus(rawValue: status) ?? .ready, progress: progress, failure: failure),
            renditions: JSONColumn.decode([Rendition].self, from: renditions) ?? [],
            previews: previews.flatMap { JSONColumn.decode(SeekPreviews.self, from: $0) },
            captions: JSONColumn.decode([CaptionTrack].self, from: captions) ?? [])
    }
}
