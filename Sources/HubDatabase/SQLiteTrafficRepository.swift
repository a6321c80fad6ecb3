import GRDB
import HubCore

/// Bytes in and out per day (`trafficDay`), added to in batches by `TrafficTally`.
public struct SQLiteTrafficRepository: TrafficRepository {
    let writer: any DatabaseWriter

    public func add(_ counts: [TrafficDay: TrafficCounts]) async throws {
        try await writer.write { db in
            for (day, count) in counts {
                try db.execute(
                    sql: """
                        INSERT INTO trafficDay (day, uploadedBytes, streamedBytes, peerSentBytes) VALUES (?, ?, ?, ?)
                        ON CONFLICT(day) DO UPDATE SET uploadedBytes = uploadedBytes + excluded.uploadedBytes,
                            streamedBytes = streamedBytes + excluded.streamedBytes, peerSentBytes = peerSentBytes + excluded.peerSentBytes
                        """,
                    arguments: [day.rawValue, count.uploadedBytes, count.streamedBytes, count.peerSentBytes])
            }
        }
    }

    public func totals(since: TrafficDay) async throws -> TrafficCounts {
        try await writer.read { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COALESCE(SUM(uploadedBytes), 0) AS uploaded, COALESCE(SUM(streamedBytes), 0) AS streamed,
                        COALESCE(SUM(peerSentBytes), 0) AS peers FROM trafficDay WHERE day >= ?
                    """,
                arguments: [since.rawValue])
            return TrafficCounts(uploadedBytes: row?["uploaded"] ?? 0, streamedBytes: row?["streamed"] ?? 0, peerSentBytes: row?["peers"] ?? 0)
        }
    }
}
