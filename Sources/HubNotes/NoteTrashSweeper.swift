import HubCore
import Logging
import ServiceLifecycle

/// Purges notes that have been in the trash longer than `NoteLimits.trashRetention`, on an
/// interval, as a service beside the web server.
public struct NoteTrashSweeper: Service {
    let notepad: NotepadService
    let interval: Duration
    let logger: Logger

    public init(notepad: NotepadService, interval: Duration = .seconds(3_600), logger: Logger) {
        self.notepad = notepad
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await notepad.purgeTrash()
                    if purged > 0 { logger.info("purged notes from the trash", metadata: ["count": "\(purged)"]) }
                } catch {
                    logger.warning("purging the notes' trash failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
