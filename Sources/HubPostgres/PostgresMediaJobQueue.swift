import Foundation
import HubCore
import Logging
import PostgresNIO

/// `MediaJobQueue` on PostgreSQL, shared by every instance on the database. A claim picks the
/// next due row with `FOR UPDATE SKIP LOCKED`: instances claiming at the same moment each lock a
/// different row instead of queueing behind one another, and a row is never claimed twice.
public struct PostgresMediaJobQueue: MediaJobQueue {
    let client: PostgresPool
    let logger: Logger

    /// Queues `kind` for `video` inside a caller's transaction with fresh attempts: a job that
    /// failed for good is queued again, one queued or running is kept.
    static func queue(_ kind: MediaJobKind, for video: VideoID, at date: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.execute(
            """
            INSERT INTO media_job (video_id, kind, state, attempts, run_after, created_at)
            VALUES (\(video.rawValue), \(kind.rawValue), 'queued', 0, \(date), \(date))
            ON CONFLICT (video_id, kind) DO UPDATE SET state = 'queued', attempts = 0, run_after = excluded.run_after, last_error = NULL
            WHERE media_job.state = 'failed'
            """, logger: logger)
    }

    public func claim(by worker: String, now: Date, until: Date) async throws -> MediaJob? {
        let kinds = MediaJobKind.allCases.map(\.rawValue)
        let rows = try await client.rows(
            """
            UPDATE media_job SET claimed_by = \(worker), claimed_until = \(until), attempts = attempts + 1
            WHERE (video_id, kind) = (
                SELECT video_id, kind FROM media_job
                WHERE state = 'queued' AND run_after <= \(now) AND (claimed_until IS NULL OR claimed_until < \(now))
                    AND kind = ANY(\(kinds))
                ORDER BY run_after, created_at LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING video_id, kind, attempts, last_error
            """, logger: logger)
        guard let row = rows.first else { return nil }
        return MediaJob(
            videoID: try VideoID(row.value("video_id", as: String.self)).orThrow(column: "media_job.video_id"),
            kind: try MediaJobKind(rawValue: row.value("kind", as: String.self)).orThrow(column: "media_job.kind"),
            attempts: Int(try row.value("attempts", as: Int64.self)), lastError: try row.value("last_error"))
    }

    public func renew(_ job: MediaJob, by worker: String, until: Date) async throws -> Bool {
        let rows = try await client.rows(
            """
            UPDATE media_job SET claimed_until = \(until)
            WHERE video_id = \(job.videoID.rawValue) AND kind = \(job.kind.rawValue) AND claimed_by = \(worker) AND state = 'queued'
            RETURNING video_id
            """, logger: logger)
        return !rows.isEmpty
    }

    public func complete(_ job: MediaJob, by worker: String, queueing next: [MediaJobKind], at now: Date) async throws {
        try await client.transaction(logger: logger) { connection in
            let deleted = try await connection.rows(
                """
                DELETE FROM media_job WHERE video_id = \(job.videoID.rawValue) AND kind = \(job.kind.rawValue) AND claimed_by = \(worker)
                RETURNING video_id
                """, logger: self.logger)
            guard !deleted.isEmpty else { return }  // no longer this worker's: its holder queues what follows
            for kind in next { try await Self.queue(kind, for: job.videoID, at: now, on: connection, logger: self.logger) }
        }
    }

    public func fail(_ job: MediaJob, by worker: String, error: String, retryAt: Date?) async throws {
        let state = retryAt == nil ? "failed" : "queued"
        try await client.execute(
            """
            UPDATE media_job SET state = \(state), run_after = COALESCE(\(retryAt), run_after), claimed_by = NULL, claimed_until = NULL,
                last_error = \(error)
            WHERE video_id = \(job.videoID.rawValue) AND kind = \(job.kind.rawValue) AND claimed_by = \(worker)
            """, logger: logger)
    }

    public func retry(_ video: VideoID, at now: Date) async throws {
        try await client.transaction(logger: logger) { connection in
            try await Self.queue(.prepare, for: video, at: now, on: connection, logger: self.logger)
        }
    }

    /// Never called with several instances (their claims are live); a single instance on
    /// PostgreSQL may.
    public func releaseEveryClaim() async throws {
        try await client.execute("UPDATE media_job SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL", logger: logger)
    }

    public func depth() async throws -> Int {
        try await client.scalar("SELECT COUNT(*) FROM media_job WHERE state = 'queued'", as: Int.self, logger: logger) ?? 0
    }

    public func pending(for video: VideoID) async throws -> [MediaJobKind] {
        try await client.rows(
            "SELECT kind FROM media_job WHERE video_id = \(video.rawValue) AND state = 'queued' ORDER BY kind", logger: logger
        ).compactMap { MediaJobKind(rawValue: try $0.value("kind", as: String.self)) }
    }
}
