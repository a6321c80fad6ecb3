import Foundation
import GRDB
import HubCore

/// `UploadRepository` on the hub's SQLite database: the durable half of tus resumability.
public struct SQLiteUploadRepository: UploadRepository {
    let writer: any DatabaseWriter

    public func insert(_ upload: UploadRecord) async throws {
        try await writer.write { db in try UploadRow(upload).insert(db) }
    }

    public func find(_ id: UploadID) async throws -> UploadRecord? {
        try await writer.read { db in try UploadRow.fetchOne(db, key: id.rawValue)?.record }
    }

    public func save(_ upload: UploadRecord) async throws {
        try await writer.write { db in try UploadRow(upload).save(db) }
    }

    public func delete(_ id: UploadID) async throws {
        _ = try await writer.write { db in try UploadRow.deleteOne(db, key: id.rawValue) }
    }

    public func expired(before date: Date) async throws -> [UploadRecord] {
        try await writer.read { db in
            try UploadRow.filter(Column("expiresAt") < date && Column("videoID") == nil).fetchAll(db).compactMap(\.record)
        }
    }
}

struct UploadRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "upload"

    var id: String
    var length: Int64
    var offset: Int64
    var metadata: String
    var createdAt: Date
    var expiresAt: Date
    var videoID: String?
    var ownerID: String?
    var multipartUploadID: String?

    init(_ record: UploadRecord) {
        id = record.id.rawValue
        length = record.length
        offset = record.offset
        metadata = JSONColumn.encode(record.metadata)
        createdAt = record.createdAt
        expiresAt = record.expiresAt
        videoID = record.videoID?.rawValue
        ownerID = record.ownerID?.rawValue
        multipartUploadID = record.multipartUploadID
    }

    var record: UploadRecord? {
        guard let id = UploadID(id) else { return nil }
        return UploadRecord(
            id: id, length: length, offset: offset,
            metadata: JSONColumn.decode([String: String].self, from: metadata) ?? [:],
            createdAt: createdAt, expiresAt: expiresAt, videoID: videoID.flatMap(VideoID.init),
            ownerID: ownerID.flatMap(UserID.init), multipartUploadID: multipartUploadID)
    }
}
