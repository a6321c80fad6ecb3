import Foundation
import HubCore
import Logging

/// Keeps the shared notes as files under `NOTEPAD_STORAGE_PATH` in the original guide's layout:
/// `notes/{note_id}.json` (the current version with its number) and `sync_log.json`, each
/// replaced atomically. The database stays the source of truth; the mirror is for people,
/// backups and tools that read files. Private notes are never written here.
public actor NoteMirror {
    public struct SyncLogEntry: Codable, Sendable, Equatable {
        public var at: Date
        /// What happened: `local` for a change made on this hub, `imported` for one merged from
        /// a file; the peer network adds `sent`, `received` and `refused`.
        public var event: String
        public var note: NoteID
        public var version: Int
        public var node: NodeID
        public var author: String
        public var summary: String
    }

    let directory: String
    private let logger: Logger
    /// The newest version written per note, so a slower writer never puts an older one back.
    private var written: [NoteID: Int] = [:]
    private var syncLog: [SyncLogEntry]
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

    /// Writes or removes the note's file to match its state: shared and live notes have one.
    public func update(_ note: Note) {
        guard (written[note.id] ?? 0) < note.version else { return }
        written[note.id] = note.version
        do {
            if note.isShared && !note.isDeleted {
                try DurableFile.write(try NoteFile.encoder.encode(NoteFile(note)), to: path(of: note.id))
            } else {
                try PosixPath.remove(path(of: note.id))
            }
        } catch {
            logger.warning("could not mirror a note", metadata: ["note": "\(note.id)", "error": "\(error)"])
        }
    }

    public func remove(_ id: NoteID) {
        written[id] = .max
        try? PosixPath.remove(path(of: id))
    }

    /// Records a change to a shared note in `sync_log.json` (the latest entries).
    public func log(_ entry: SyncLogEntry) {
        syncLog.append(entry)
        if syncLog.count > Self.syncLogLimit { syncLog.removeFirst(syncLog.count - Self.syncLogLimit) }
        do {
            try DurableFile.write(try NoteFile.encoder.encode(syncLog), to: directory + "/sync_log.json")
        } catch {
            logger.warning("could not write the sync log", metadata: ["error": "\(error)"])
        }
    }

    public var entries: [SyncLogEntry] { syncLog }
}
