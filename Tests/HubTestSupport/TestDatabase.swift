import Foundation
import HubCore
import HubDatabase
import HubPostgres
import Logging

/// The databases a hub runs on, for tests that must behave the same on each: a conformance test
/// takes one as its argument and runs its body on that database's `Repositories`.
public enum TestDatabase: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    /// Runs `body` on fresh, migrated repositories of this database: an in-memory SQLite
    /// database, or a new database on the test PostgreSQL server with its pool running.
    /// Videos are read without the cache the hub puts in front of them, so what a test reads
    /// is what the database holds.
    public func withRepositories<T: Sendable>(_ body: @Sendable (Repositories) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            return try await body(Self.inMemorySQLite())
        case .postgres:
            return try await withPostgres { database, _ in try await body(database.repositories(videoCache: { $0 })) }
        }
    }
}

extension Logger {
    /// A logger that says nothing below critical, for the parts a test builds.
    public static func quiet(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }
}

extension TestDatabase {
    /// Repositories on a new in-memory SQLite database, for tests that need no other.
    public static func inMemorySQLite() throws -> Repositories {
        let database = try HubDatabase.inMemory()
        return Repositories(
            videos: database.videos, uploads: database.uploads, accounts: database.accounts, settings: database.settings,
            notes: database.notes, noteAnalytics: database.noteAnalytics, syncLog: database.syncLog, peers: database.peers,
            catalogue: database.catalogue, mediaJobs: database.mediaJobs, traffic: database.traffic)
    }
}
