import Foundation
import HubCore
import HubSystem
import Logging

extension NotepadService {
    /// The notepad's background work, each beside the web server under swift-service-lifecycle:
    ///
    /// - analytics events written in batches each second (and at shutdown);
    /// - the sync log and the file mirror flushed four times a second (and at shutdown), after
    ///   rewriting at start what changed since its last flush (a crash may have cut one short);
    /// - the search index brought up to date with notes that have not been saved for a second:
    ///   re-tokenising a large note after every autosave would hold the write lock the next save
    ///   needs (searches catch up on the rest before they run);
    /// - the trash purged of notes deleted more than 30 days ago, hourly.
    public func services() -> [PeriodicService] {
        [
            PeriodicService("recording note analytics", every: .seconds(1), logger: logger, atShutdown: { await analytics.flush() }) {
                await analytics.flush()
            },
            PeriodicService(
                "mirroring notes", every: .milliseconds(250), logger: logger, atStart: reconcileMirror,
                atShutdown: {
                    await journal.flush()
                    await mirror.flush()
                }
            ) {
                await journal.flush()
                await mirror.flush()
            },
            PeriodicService("indexing notes for search", every: .milliseconds(250), logger: logger) {
                let quiet = clock.now().addingTimeInterval(-1)
                // Small batches: each is a write transaction that saves wait behind.
                while try await notes.indexQueued(limit: 16, queuedBefore: quiet) == 16 {}
            },
            PeriodicService("purging the notes' trash", every: .seconds(3_600), logger: logger) {
                let purged = try await purgeTrash()
                if purged > 0 { logger.info("purged notes from the trash", metadata: ["count": "\(purged)"]) }
            },
        ]
    }
}
