import Foundation
import HubCore
import Logging

/// Where sync log entries go: buffered, then written together to the database (the log's
/// record, `GET /api/v1/sync/log`) and to the mirror's `sync_log.json`, so logging a batch never
/// adds a write transaction to the path that received it.
public actor SyncJournal {
    private let repository: (any SyncLogRepository)?
    private let mirror: NoteMirror
    private let logger: Logger
    private var pending: [SyncLogEntry] = []
    private var appendedSinceTrim = 0
    /// How many entries the database keeps.
    static let retained = 10_000

    init(repository: (any SyncLogRepository)?, mirror: NoteMirror, logger: Logger) {
        self.repository = repository
        self.mirror = mirror
        self.logger = logger
    }

    public func record(_ entry: SyncLogEntry) {
        pending.append(entry)
    }

    public func flush() async {
        guard !pending.isEmpty else { return }
        let entries = pending
        pending.removeAll()
        for entry in entries { await mirror.log(entry) }
        guard let repository else { return }
        do {
            try await repository.append(entries)
            appendedSinceTrim += entries.count
            if appendedSinceTrim > 1_000 {
                try await repository.trim(keeping: Self.retained)
                appendedSinceTrim = 0
            }
        } catch {
            logger.warning("could not record the sync log", metadata: ["error": "\(error)", "entries": "\(entries.count)"])
        }
    }

    public func recent(limit: Int, before: Int64?) async throws -> [SyncLogEntry] {
        await flush()
        return try await repository?.recent(limit: limit, before: before) ?? []
    }
}
