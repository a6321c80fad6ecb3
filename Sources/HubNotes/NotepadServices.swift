import Foundation
import HubCore
import Logging
import ServiceLifecycle

/// Keeps the file mirror current: at start it rewrites what changed since its last flush (a
/// crash may have cut one short), then flushes every `interval` and once more on shutdown.
public struct NoteMirrorService: Service {
    let notepad: NotepadService
    let interval: Duration

    public init(notepad: NotepadService, interval: Duration = .milliseconds(250)) {
        self.notepad = notepad
        self.interval = interval
    }

    public func run() async throws {
        do {
            try await notepad.reconcileMirror()
        } catch {
            notepad.logger.warning("could not bring the notes' mirror up to date", metadata: ["error": "\(error)"])
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await notepad.mirror.flush()
            }
        }
        await notepad.mirror.flush()
    }
}

/// Brings the search index up to date with saved notes in the background, so searches (which
/// also catch up before they run) rarely find work to do. A note is indexed once it has not
/// been saved for `quiet`: re-tokenising a large note after every autosave would hold the
/// database's write lock that the next save needs.
public struct NoteSearchIndexer: Service {
    let notes: any NoteRepository
    let clock: any WallClock
    let interval: Duration
    let quiet: TimeInterval
    let logger: Logger

    public init(
        notes: any NoteRepository, clock: any WallClock, interval: Duration = .milliseconds(250), quiet: TimeInterval = 1,
        logger: Logger
    ) {
        self.notes = notes
        self.clock = clock
        self.interval = interval
        self.quiet = quiet
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let before = clock.now().addingTimeInterval(-quiet)
                    while try await notes.indexQueued(limit: 200, queuedBefore: before) == 200 {}
                } catch {
                    logger.warning("indexing notes for search failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
