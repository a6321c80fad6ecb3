import Foundation
import GRDB
import HubCore

/// `MediaJobQueue` on the hub's SQLite database. SQLite serialises writers, so claiming is a
/// read and an update in one write transaction: no two workers can take the same row.
public struct SQLiteMediaJobQueue: MediaJobQueue {
    let writer: any DatabaseWriter

    enum State: String { case queued, failed }

    /// A row of a kind this version does not know (written by a newer one) is left for it.
    private static let knownKinds = "(" + MediaJobKind.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// Queues `kind` for `video` inside a caller's transaction with fresh attempts: a job that
    /// failed for good is queued again, one queued or running is kept.
    static func queue(_ kind: MediaJobKind, for video: VideoID, at date: Date, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO mediaJob (videoID, kind, state, attempts, runAfter, createdAt) VALUES (?, ?, ?, 0, ?, ?)
                ON CONFLICT (videoID, kind) DO UPDATE SET state = excluded.state, attempts = 0, runAfter = excluded.runAfter, lastError = NULL
                WHERE state = ?
                """,
            arguments: [video.rawValue, kind.rawValue, State.queued.rawValue, date, date, State.failed.rawValue])
    }

    public func claim(by worker: String, now: Date, until: Date) async throws -> MediaJob? {
        try await writer.write { db in
            let due = try Row.fetchOne(
                db,
                sql: """
                    SELECT videoID, kind, attempts, lastError FROM mediaJob
                    WHERE state = ? AND runAfter <= ? AND (claimedUntil IS NULL OR claimedUntil < ?) AND kind IN \(Self.knownKinds)
                    ORDER BY runAfter, createdAt LIMIT 1
                    """,
                arguments: [State.queued.rawValue, now, now])
            guard let due, let job = Self.job(due) else { return nil }
            try db.execute(
                sql: "UPDATE mediaJob SET claimedBy = ?, claimedUntil = ?, attempts = attempts + 1 WHERE videoID = ? AND kind = ?",
                arguments: [worker, until, job.videoID.rawValue, job.kind.rawValue])
            return MediaJob(videoID: job.videoID, kind: job.kind, attempts: job.attempts + 1, lastError: job.lastError)
        }
    }

    public func renew(_ job: MediaJob, by worker: String, until: Date) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE mediaJob SET claimedUntil = ? WHERE videoID = ? AND kind = ? AND claimedBy = ? AND state = ?",
                arguments: [until, job.videoID.rawValue, job.kind.rawValue, worker, State.queued.rawValue])
            return db.changesCount > 0
        }
    }

    public func complete(_ job: MediaJob, by worker: String, queueing next: [MediaJobKind], at now: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "DELETE FROM mediaJob WHERE videoID = ? AND kind = ? AND claimedBy = ?",
                arguments: [job.videoID.rawValue, job.kind.rawValue, worker])
            guard db.changesCount > 0 else { return }  // no longer this worker's: its holder queues what follows
            for kind in next { try Self.queue(kind, for: job.videoID, at: now, in: db) }
        }
    }

    public func fail(_ job: MediaJob, by worker: String, error: String, retryAt: Date?) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE mediaJob SET state = ?, runAfter = COALESCE(?, runAfter), claimedBy = NULL, claimedUntil = NULL, lastError = ?
                    WHERE videoID = ? AND kind = ? AND claimedBy = ?
                    """,
                arguments: [
                    (retryAt == nil ? State.failed : State.queued).rawValue, retryAt, error, job.videoID.rawValue, job.kind.rawValue, worker,
                ])
        }
    }

    public func retry(_ video: VideoID, at now: Date) async throws {
        try await writer.write { db in try Self.queue(.prepare, for: video, at: now, in: db) }
    }

    public func releaseEveryClaim() async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE mediaJob SET claimedBy = NULL, claimedUntil = NULL WHERE claimedBy IS NOT NULL")
        }
    }

    public func depth() async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mediaJob WHERE state = ?", arguments: [State.queued.rawValue]) ?? 0
        }
    }

    public func pending(for video: VideoID) async throws -> [MediaJobKind] {
        try await writer.read { db in
            try String.fetchAll(
                db, sql: "SELECT kind FROM mediaJob WHERE videoID = ? AND state = ? ORDER BY kind", arguments: [video.rawValue, State.queued.rawValue]
            ).compactMap(MediaJobKind.init(rawValue:))
        }
    }

    private static func job(_ row: Row) -> MediaJob? {
        guard let video = VideoID(row["videoID"] as String), let kind = MediaJobKind(rawValue: row["kind"]) else { return nil }
        return MediaJob(videoID: video, kind: kind, attempts: row["attempts"], lastError: row["lastError"])
    }
}
