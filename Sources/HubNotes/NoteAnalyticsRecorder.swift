import Foundation
import HubCore
import Logging
import Synchronization

/// Collects views, edits and searches and writes them in batches (`flush`, every second from
/// `NotepadService.services()`), so counting never adds a database write (and its fsync) to a
/// page view or a search. A crash loses at most the last second's counts, which is acceptable
/// for analytics and never touches notes themselves.
public final class NoteAnalyticsRecorder: Sendable {
    private let repository: any NoteAnalyticsRepository
    private let clock: any WallClock
    private let logger: Logger
    private let pending = Mutex<[(NoteEvent, Date)]>([])

    public init(repository: any NoteAnalyticsRepository, clock: any WallClock, logger: Logger) {
        self.repository = repository
        self.clock = clock
        self.logger = logger
    }

    public func record(_ event: NoteEvent) {
        let now = clock.now()
        pending.withLock { $0.append((event, now)) }
    }

    /// Writes what is pending; reports call it first so they include the latest events.
    public func flush() async {
        let events = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        do {
            try await repository.record(events)
        } catch {
            logger.warning("could not record note analytics", metadata: ["events": "\(events.count)", "error": "\(error)"])
        }
    }
}
