import ArgumentParser
import Foundation
import HubAccounts
import HubCore
import HubNotes
import HubWeb
import Logging

/// `streamhub notes export DIR`: writes the hub's notes, with their histories, as
/// `DIR/notes/{note_id}.json` (the file layout DESIGN.md keeps), from the hub's own data (running
/// or not).
struct NotesExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write notes with their history to DIR/notes/{id}.json.")
    @Argument(help: "The directory to write to.") var directory: String
    @Flag(help: "Private notes too, not only shared ones.") var includePrivate = false
    @OptionGroup var options: HubOptions

    func run() async throws {
        try await options.withServices { hub in
            let notepad = hub.notepad
            let count = try await report { try await NoteArchive(notepad: notepad).export(to: directory, includePrivate: includePrivate) }
            print("exported \(count) note(s) to \(directory)/notes")
        }
    }
}

/// `streamhub notes import DIR`: merges notes written by `export` (or mirrored by another hub).
struct NotesImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Merge notes from DIR/notes/*.json into this hub.",
        discussion: "Notes new here belong to the local account named like their author, else to --owner. Importing twice changes nothing.")
    @Argument(help: "The directory to read.") var directory: String
    @Option(help: "The account that owns imported notes whose author has no account here.") var owner: String?
    @OptionGroup var options: HubOptions

    func run() async throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory + "/notes", isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure.report("\(directory) has no notes/ directory to import (see 'streamhub notes export')")
        }
        try await options.withServices { hub in
            let accounts = hub.accounts
            let notepad = hub.notepad
            let fallback = try await owner.asyncMap { name in
                guard let user = try await accounts.user(named: name) else { throw Failure.report("no account is named '\(name)'") }
                return user
            }
            let result = try await NoteArchive(notepad: notepad).import(from: directory) { author in
                let name = author.split(separator: "@").first.map(String.init) ?? author
                return try await accounts.user(named: name) ?? fallback
            }
            await notepad.analytics.flush()
            await notepad.mirror.flush()
            print("imported \(result.files) file(s), \(result.changes) new change(s)")
            for failure in result.failures { FileHandle.standardError.write(Data("streamhub: skipped \(failure)\n".utf8)) }
            if !result.failures.isEmpty { throw ExitCode.failure }
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async throws -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
