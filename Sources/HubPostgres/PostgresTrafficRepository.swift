import HubCore
import Logging
import PostgresNIO

/// Bytes in and out per day (`traffic_day`), added to in batches by each instance's
/// `TrafficTally`: the upsert adds, so instances never overwrite each other's counts.
public struct PostgresTrafficRepository: TrafficRepository {
    let client: any PostgresQuerying & Sendable
    let logger: Logger

    public func add(_ counts: [TrafficDay: TrafficCounts]) async throws {
        for (day, count) in counts {
            try await client.execute(
                """
                INSERT INTO traffic_day (day, uploaded_bytes, streamed_bytes, peer_sent_bytes)
                VALUES (\(day.rawValue), \(count.uploadedBytes), \(count.streamedBytes), \(count.peerSentBytes))
                ON CONFLICT (day) DO UPDATE SET uploaded_bytes = traffic_day.uploaded_bytes + excluded.uploaded_bytes,
                    streamed_bytes = traffic_day.streamed_bytes + excluded.streamed_bytes,
                    peer_sent_bytes = traffic_day.peer_sent_bytes + excluded.peer_sent_bytes
                """, logger: logger)
        }
    }

    public func totals(since: TrafficDay) async throws -> TrafficCounts {
        let rows = try await client.rows(
            """
            SELECT COALESCE(SUM(uploaded_bytes), 0)::BIGINT AS uploaded, COALESCE(SUM(streamed_bytes), 0)::BIGINT AS streamed,
                COALESCE(SUM(peer_sent_bytes), 0)::BIGINT AS peers FROM traffic_day WHERE day >= \(since.rawValue)
            """, logger: logger)
        guard let row = rows.first else { return TrafficCounts() }
        return TrafficCounts(
            uploadedBytes: try row.value("uploaded"), streamedBytes: try row.value("streamed"), peerSentBytes: try row.value("peers"))
    }
}
