import Foundation
import HubCore
import Logging

/// Keeps the shared notes as files under `NOTEPAD_STORAGE_PATH` in the original guide's layout:
/// `notes/{note_id}.json` (the current version with its number) and `sync_log.json`, each
/// replaced atomically. The database stays the source of truth; the mirror is for people,
/// backups and tools that read files. Private notes are never written here.
///
/// Saves only hand the mirror the note's new state; `flush` (four times a second, from
/// `NotepadService.services()`) writes the latest state of each note once, so a burst of saves costs one
/// file write per note instead of two fsyncs per save on the save's path. After a crash,
/// `NotepadService.reconcileMirror` rewrites what changed since the last flush (`.mirrored`
/// records when that was).
public actor NoteMirror {
    let directory: String
    private let logger: Logger
    /// The newest version written per note, so an older state is never put back.
    private var written: [NoteID: Int] = [:]
    private var pending: [NoteID: Note] = [:]
    private var removals: Set<NoteID> = []
    private var syncLog: [SyncLogEntry]
    private var syncLogChanged = false
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
        syncLog = (try? Data(contentsOf: URL(fileURLWithPath: directory + "/sync_log.json")))
            .flatMap { try? NoteFile.decoder.decode([SyncLogEntry].self, from: $0) } ?? []
    }

    public func path(of id: NoteID) -> String { "\(directory)/notes/\(id).json" }

    /// Queues the note's file to match its state: shared, live notes have one.
    public func update(_ note: Note) {
        guard (pending[note.id]?.version ?? written[note.id] ?? 0) < note.version else { return }
        pending[note.id] = note
    }

    /// Queues the removal of a purged note's file.
    public func remove(_ id: NoteID) {
        pending[id] = nil
        written[id] = .max
        removals.insert(id)
    }

    /// Queues an entry of `sync_log.json` (which keeps the latest entries).
    public func log(_ entry: SyncLogEntry) {
        syncLog.append(entry)
        if syncLog.count > Self.syncLogLimit { syncLog.removeFirst(syncLog.count - Self.syncLogLimit) }
        syncLogChanged = true
    }

    /// When the last flush began: everything recorded before then is on disk.
    public var lastFlush: Date? {
        (try? String(contentsOfFile: directory + "/.mirrored", encoding: .utf8))
            .flatMap { try? Date($0.trimmingCharacters(in: .whitespacesAndNewlines), strategy: .iso8601) }
    }

    /// Writes what is queued.
    public func flush() {
        guard !pending.isEmpty || !removals.isEmpty || syncLogChanged else { return }
        let started = Date()
        let notes = pending
        pending.removeAll()
        for (id, note) in notes {
            do {
                if note.isShared && !note.isDeleted {
                    try DurableFile.write(try NoteFile.encoder.encode(NoteFile(note)), to: path(of: id))
                } else {
                    try PosixPath.remove(path(of: id))
                }
                written[id] = note.version
            } catch {
                logger.warning("could not mirror a note", metadata: ["note": "\(id)", "error": "\(error)"])
            }
        }
        for id in removals { try? PosixPath.remove(path(of: id)) }
        removals.removeAll()
        if syncLogChanged {
            do {
                try DurableFile.write(try NoteFile.encoder.encode(syncLog), to: directory + "/sync_log.json")
                syncLogChanged = false
            } catch {
                logger.warning("could not write the sync log", metadata: ["error": "\(error)"])
            }
        }
        try? DurableFile.write(Array(started.formatted(.iso8601).utf8), to: directory + "/.mirrored")
    }
}
