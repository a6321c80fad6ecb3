import Foundation
import HubCore
import Logging
import Synchronization

/// Where sync log entries go: buffered, then written together to the database (the log's
/// record, `GET /api/v1/sync/log`) and to the mirror's `sync_log.json`, so logging a batch never
/// adds a write transaction to the path that received it.
public actor SyncJournal {
    private let repository: (any SyncLogRepository)?
    private let mirror: NoteMirror
    private let logger: Logger
    /// Behind its own lock, so recording never waits for a flush in progress.
    private let pending = Mutex<[SyncLogEntry]>([])
    private var appendedSinceTrim = 0
    /// How many entries the database keeps.
    static let retained = 10_000

    init(repository: (any SyncLogRepository)?, mirror: NoteMirror, logger: Logger) {
        self.repository = repository
        self.mirror = mirror
        self.logger = logger
    }

    public nonisolated func record(_ entry: SyncLogEntry) {
        pending.withLock { $0.append(entry) }
    }

    public func flush() async {
        let entries = pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        guard !entries.isEmpty else { return }
        mirror.log(entries)
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
