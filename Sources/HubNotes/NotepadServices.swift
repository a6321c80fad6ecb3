import Foundation
import HubCore
import HubSystem
import Logging

extension NotepadService {
    /// The notepad's background work, each beside the web server under swift-service-lifecycle:
    ///
    /// - analytics events written in batches each second (and at shutdown);
    /// - the sync log written four times a second (and at shutdown);
    /// - the search index brought up to date with notes that have not been saved for a second:
    ///   re-tokenising a large note after every autosave would hold the write lock the next save
    ///   needs (searches catch up on the rest before they run);
    /// - the trash purged of notes deleted more than 30 days ago, hourly.
    public func services() -> [PeriodicService] {
        [
            PeriodicService("recording note analytics", every: .seconds(1), logger: logger, atShutdown: { await analytics.flush() }) {
                await analytics.flush()
            },
            PeriodicService("recording sync events", every: .milliseconds(250), logger: logger, atShutdown: { await journal.flush() }) {
                await journal.flush()
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

    /// Writing the file mirror, after rewriting at start what changed since its last flush (a
    /// crash may have cut one short). With `everyInstance`, this instance is the one of several
    /// sharing the database that writes it, and each round also picks up from the database what
    /// the others saved in the last few seconds (a second's rounds; the versions already
    /// written are skipped, so only the reading repeats).
    public func mirrorService(everyInstance: Bool) -> PeriodicService {
        PeriodicService(
            "mirroring notes", every: everyInstance ? .seconds(1) : .milliseconds(250), logger: logger, atStart: reconcileMirror,
            atShutdown: {
                // The sync log's last entries reach `sync_log.json` too.
                await journal.flush()
                await mirror.flush()
            }
        ) {
            if everyInstance { try await reconcileMirror(since: clock.now().addingTimeInterval(-5)) }
            await mirror.flush()
        }
    }
}
