import Foundation
import HubCore
import HubSystem
import Logging
import Synchronization

/// Keeps the shared notes as files under `NOTEPAD_STORAGE_PATH` in DESIGN.md's layout:
/// `notes/{note_id}.json` (the current version with its number) and `sync_log.json`, each
/// replaced atomically. The database stays the source of truth; the mirror is for people,
/// backups and tools that read files. Private notes are never written here.
///
/// Saves only hand the mirror the note's new state; `flush` (four times a second, from
/// `NotepadService.mirrorService`) writes the latest state of each note once, so a burst of saves costs one
/// file write per note instead of two fsyncs per save on the save's path. After a crash,
/// `NotepadService.reconcileMirror` rewrites what changed since the last flush (`.mirrored`
/// records when that was).
public actor NoteMirror {
    /// What saves hand over, behind a lock of its own rather than the actor: a save or a peer's
    /// batch queues its notes without waiting for a flush that is writing thousands of files.
    private struct Queue {
        /// The newest version written or queued per note, so an older state is never put back.
        var newest: [NoteID: Int] = [:]
        var pending: [NoteID: Note] = [:]
        var removals: Set<NoteID> = []
        var syncLog: [SyncLogEntry] = []
        var syncLogChanged = false
        /// False on an instance that does not write the mirror (another instance of the
        /// deployment holds that role): what is handed over is dropped, not kept.
        var accepting = true
    }

    nonisolated let directory: String
    private let logger: Logger
    private let queue: Mutex<Queue>
    private static let syncLogLimit = 500

    /// Creates the directories; an unwritable path is a configuration error.
    public init(directory: String, logger: Logger) throws(ConfigurationError) {
        self.directory = directory
        self.logger = logger
        do {
            try PosixPath.createDirectories(directory + "/notes")
        } catch {
            throw ConfigurationError(setting: "NOTEPAD_STORAGE_PATH", problem: "cannot be created: \(error)")
        }
        guard access(directory + "/notes", W_OK) == 0 else {
            throw ConfigurationError(setting: "NOTEPAD_STORAGE_PATH", problem: "is not writable: \(directory)")
        }
        let syncLog = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/sync_log.json")))
            .flatMap { try? NoteFile.decoder.decode([SyncLogEntry].self, from: $0) } ?? []
        queue = Mutex(Queue(syncLog: syncLog))
    }

    public nonisolated func path(of id: NoteID) -> String { "\(directory)/notes/\(id).json" }

    /// Queues the note's file to match its state: shared, live notes have one.
    public nonisolated func update(_ note: Note) {
        queue.withLock { queue in
            guard queue.accepting, queue.newest[note.id, default: 0] < note.version else { return }
            queue.newest[note.id] = note.version
            queue.pending[note.id] = note
        }
    }

    /// Queues the removal of a purged note's file.
    public nonisolated func remove(_ id: NoteID) {
        queue.withLock { queue in
            guard queue.accepting else { return }
            queue.pending[id] = nil
            queue.newest[id] = .max
            queue.removals.insert(id)
        }
    }

    /// Queues an entry of `sync_log.json` (which keeps the latest entries).
    public nonisolated func log(_ entries: [SyncLogEntry]) {
        queue.withLock { queue in
            guard queue.accepting else { return }
            queue.syncLog.append(contentsOf: entries)
            if queue.syncLog.count > Self.syncLogLimit { queue.syncLog.removeFirst(queue.syncLog.count - Self.syncLogLimit) }
            queue.syncLogChanged = true
        }
    }

    /// Whether this instance writes the mirror. An instance that stops forgets what it queued
    /// (the next writer rewrites from the database what changed since the last flush); one that
    /// starts forgets which versions it wrote, since another wrote meanwhile.
    public nonisolated func accept(_ accepting: Bool) {
        queue.withLock { queue in
            let syncLog = queue.syncLog
            queue = Queue(syncLog: syncLog)
            queue.accepting = accepting
        }
    }

    /// When the last flush began: everything recorded before then is on disk.
    public var lastFlush: Date? {
        (try? String(contentsOfFile: directory + "/.mirrored", encoding: .utf8))
            .flatMap { try? Date($0.trimmingCharacters(in: .whitespacesAndNewlines), strategy: .iso8601) }
    }

    /// Writes what is queued (one flush at a time: the actor's part).
    public func flush() {
        let started = Date()
        let (notes, removals, syncLog) = queue.withLock { queue in
            defer {
                queue.pending.removeAll()
                queue.removals.removeAll()
                queue.syncLogChanged = false
            }
            return (queue.pending, queue.removals, queue.syncLogChanged ? queue.syncLog : nil)
        }
        guard !notes.isEmpty || !removals.isEmpty || syncLog != nil else { return }
        for (id, note) in notes {
            do {
                if note.isShared && !note.isDeleted {
                    try DurableFile.write(try NoteFile.encoder.encode(NoteFile(note)), to: path(of: id), sync: false)
                } else {
                    try PosixPath.remove(path(of: id))
                }
            } catch {
                logger.warning("could not mirror a note", metadata: ["note": "\(id)", "error": "\(error)"])
            }
        }
        for id in removals { try? PosixPath.remove(path(of: id)) }
        if let syncLog {
            do {
                try DurableFile.write(try NoteFile.encoder.encode(syncLog), to: directory + "/sync_log.json", sync: false)
            } catch {
                logger.warning("could not write the sync log", metadata: ["error": "\(error)"])
            }
        }
        // One sync for the whole flush (a catch-up from a peer writes thousands of files), before
        // the marker that says everything up to `started` is on disk.
        do {
            try PosixPath.syncFileSystem(containing: directory)
        } catch {
            logger.warning("could not sync the note mirror", metadata: ["error": "\(error)"])
            return
        }
        try? DurableFile.write(Array(started.formatted(.iso8601).utf8), to: directory + "/.mirrored")
    }
}
