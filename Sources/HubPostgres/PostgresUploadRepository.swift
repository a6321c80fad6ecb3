import Foundation
import HubCore
import Logging
import PostgresNIO

/// `UploadRepository` on PostgreSQL: the durable half of tus resumability, shared by every
/// instance on the database.
public struct PostgresUploadRepository: UploadRepository {
    let client: PostgresPool
    let logger: Logger

    static let columns = #"id, length, "offset", metadata::text AS metadata, created_at, expires_at, video_id, owner_id, multipart_upload_id"#

    public func insert(_ upload: UploadRecord) async throws {
        try await client.execute(
            """
            INSERT INTO upload (id, length, "offset", metadata, created_at, expires_at, video_id, owner_id, multipart_upload_id)
            VALUES (
                \(upload.id.rawValue), \(upload.length), \(upload.offset), \(try Self.encode(upload.metadata))::jsonb, \(upload.createdAt),
                \(upload.expiresAt), \(upload.videoID?.rawValue), \(upload.ownerID?.rawValue), \(upload.multipartUploadID))
            """, logger: logger)
    }

    public func find(_ id: UploadID) async throws -> UploadRecord? {
        try await client.rows("SELECT \(unescaped: Self.columns) FROM upload WHERE id = \(id.rawValue)", logger: logger).first.map(Self.record)
    }

    public func save(_ upload: UploadRecord) async throws {
        try await client.execute(
            """
            INSERT INTO upload (id, length, "offset", metadata, created_at, expires_at, video_id, owner_id, multipart_upload_id)
            VALUES (
                \(upload.id.rawValue), \(upload.length), \(upload.offset), \(try Self.encode(upload.metadata))::jsonb, \(upload.createdAt),
                \(upload.expiresAt), \(upload.videoID?.rawValue), \(upload.ownerID?.rawValue), \(upload.multipartUploadID))
            ON CONFLICT (id) DO UPDATE SET
                length = excluded.length, "offset" = excluded."offset", metadata = excluded.metadata, created_at = excluded.created_at,
                expires_at = excluded.expires_at, video_id = excluded.video_id, owner_id = excluded.owner_id,
                multipart_upload_id = excluded.multipart_upload_id
            """, logger: logger)
    }

    public func delete(_ id: UploadID) async throws {
        try await client.execute("DELETE FROM upload WHERE id = \(id.rawValue)", logger: logger)
    }

    public func expired(before date: Date) async throws -> [UploadRecord] {
        try await client.rows(
            "SELECT \(unescaped: Self.columns) FROM upload WHERE expires_at < \(date) AND video_id IS NULL ORDER BY expires_at",
            logger: logger
        ).map(Self.record)
    }

    static func encode(_ metadata: [String: String]) throws -> String {
        String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
    }

    static func record(_ row: PostgresRandomAccessRow) throws -> UploadRecord {
        UploadRecord(
            id: try UploadID(row.value("id", as: String.self)).orThrow(column: "upload.id"),
            length: try row.value("length"), offset: try row.value("offset"),
            metadata: try JSONDecoder().decode([String: String].self, from: Data(row.value("metadata", as: String.self).utf8)),
            createdAt: try row.value("created_at"), expiresAt: try row.value("expires_at"),
            videoID: try row.value("video_id", as: String?.self).flatMap(VideoID.init),
            ownerID: try row.value("owner_id", as: String?.self).flatMap(UserID.init),
            multipartUploadID: try row.value("multipart_upload_id", as: String?.self))
    }
}
