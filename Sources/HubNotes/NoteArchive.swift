import Foundation
import HubCore
import HubSystem

/// `streamhub notes export` and `import`: notes as files in DESIGN.md's layout
/// (`DIR/notes/{note_id}.json`), each with its full history, so an import into another hub (or
/// back into this one) merges like a peer: changes already there are skipped, concurrent ones
/// merge, and nothing either hub wrote is lost. Files without a history (the mirror's copies)
/// are imported as a save of their title, content and tags.
public struct NoteArchive: Sendable {
    let notepad: NotepadService

    public init(notepad: NotepadService) {
        self.notepad = notepad
    }

    /// Writes every live shared note (with `includePrivate`, every live note); returns how many.
    public func export(to directory: String, includePrivate: Bool) async throws -> Int {
        try PosixPath.createDirectories(directory + "/notes")
        var count = 0
        for id in try await notepad.notes.allIDs(includingDeleted: false) {
            guard let note = try await notepad.notes.note(id), note.isShared || includePrivate else { continue }
            let changes = try await notepad.notes.changes(of: id, through: nil)
            try DurableFile.write(try NoteFile.encoder.encode(NoteFile(note, changes: changes)), to: "\(directory)/notes/\(id).json")
            count += 1
        }
        return count
    }

    public struct ImportResult: Sendable, Equatable {
        public var files = 0
        public var changes = 0
        public var failures: [String] = []
    }

    /// Imports every `DIR/notes/*.json`. `owner(author)` names the local account that owns a note
    /// new to this hub (by the author's name, say); a file that cannot be read is reported and
    /// skipped, never half-imported.
    public func `import`(from directory: String, owner: (String) async throws -> User?) async throws -> ImportResult {
        var result = ImportResult()
        let names = PosixPath.contents(of: directory + "/notes").filter { $0.hasSuffix(".json") }.sorted()
        for name in names {
            let path = "\(directory)/notes/\(name)"
            do {
                let file = try NoteFile.decoder.decode(NoteFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
                let user = try await owner(file.author)
                if let changes = file.changes, !changes.isEmpty {
                    guard changes.allSatisfy({ $0.note == file.id }) else {
                        throw InvalidInput("changes of another note", code: "invalid_archive")
                    }
                    let outcome = try await notepad.importChanges(changes, owner: user?.id)
                    if let refusal = outcome.refused.first {
                        throw NoteError.refused(refusal.reason)
                    }
                    result.changes += outcome.applied
                } else if let user {
                    result.changes += try await notepad.importSnapshot(file, by: user) ? 1 : 0
                } else {
                    throw InvalidInput("has no history and its author '\(file.author)' has no account here; pass --owner", code: "invalid_archive")
                }
                result.files += 1
            } catch {
                result.failures.append("\(name): \(error)")
            }
        }
        return result
    }
}
