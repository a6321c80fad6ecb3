import ArgumentParser
import Foundation
import HubAPI
import HubClient
import HubCore

/// `streamhub notes …`: the community notepad from the command line, through a running hub's API
/// (so the same access rules apply), plus `export` and `import` on the hub's own data.
struct NotesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notes", abstract: "Write, find, share and move notes.",
        subcommands: [
            Create.self, List.self, Search.self, Show.self, Edit.self, Share.self, Unshare.self, Delete.self, Restore.self,
            History.self, NotesExport.self, NotesImport.self,
        ])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a note; prints its id.",
            discussion: "The content comes from --file (- for standard input), --content, piped standard input, or $EDITOR.")
        @Option(help: "Title (defaults to the first line of the content).") var title: String?
        @Option(help: "Comma-separated tags.") var tags: String?
        @Flag(help: "Share it with everyone on the hub.") var shared = false
        @Option(help: "The id of the video the note is about.") var video: String?
        @OptionGroup var input: ContentInput
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let content = try input.read(editing: "") ?? ""
            let videoID = try video.map { raw in
                guard let id = VideoID(raw) else { throw ValidationError("--video must be a video id") }
                return id
            }
            let body = NoteRequest(NoteEdit(title: title, content: content, tags: tags.map(splitTags), shared: shared, video: videoID.map { .some($0) }))
            let note = try await report { try await client.client().send(.POST, "api/v1/notes", body: body, as: NoteResource.self) }
            print(note.id)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List notes: id, version, visibility, last change, title.")
        @Flag(help: "Only my notes.") var mine = false
        @Flag(help: "Only shared notes (the community view).") var shared = false
        @Flag(help: "The trash instead.") var trash = false
        @Option(help: "Only notes with this tag.") var tag: String?
        @Option(help: "How many.") var limit = 50
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var query = [URLQueryItem(name: "limit", value: String(limit))]
            if mine { query.append(URLQueryItem(name: "mine", value: "true")) }
            if shared { query.append(URLQueryItem(name: "shared", value: "true")) }
            if trash { query.append(URLQueryItem(name: "deleted", value: "true")) }
            if let tag { query.append(URLQueryItem(name: "tag", value: tag)) }
            let listing = try await report { try await client.client().send(.GET, "api/v1/notes" + queryString(query), as: NoteListResource.self) }
            for item in listing.items { print(line(item)) }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search titles, content and tags; best matches first.")
        @Argument(help: "Words to find (prefixes match).") var query: String
        @Option(help: "Only notes with this tag.") var tag: String?
        @Option(help: "How many.") var limit = 20
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var items = [URLQueryItem(name: "q", value: query), URLQueryItem(name: "limit", value: String(limit))]
            if let tag { items.append(URLQueryItem(name: "tag", value: tag)) }
            let listing = try await report { try await client.client().send(.GET, "api/v1/notes" + queryString(items), as: NoteListResource.self) }
            if listing.items.isEmpty { FileHandle.standardError.write(Data("no notes match\n".utf8)) }
            for item in listing.items {
                print(line(item))
                if let snippet = item.snippet { print("    " + plain(snippet).replacingOccurrences(of: "\n", with: " ")) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a note (or one of its versions).")
        @Argument(help: "The note's id.") var id: String
        @Option(help: "An earlier version.") var version: Int?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let path = version.map { "api/v1/notes/\(id)/versions/\($0)" } ?? "api/v1/notes/\(id)"
            let note = try await report { try await client.client().send(.GET, path, as: NoteResource.self) }
            print(note.title)
            print("\(note.id) · version \(note.version) · \(note.shared ? "shared" : "private") · by \(note.author) · last change by \(note.lastEditor), \(note.updatedAt.formatted(.iso8601))")
            if !note.tags.isEmpty { print("tags: " + note.tags.joined(separator: ", ")) }
            print("")
            print(note.content ?? "")
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a note's title, tags or content.",
            discussion: """
                The content comes from --file (- for standard input), --content, piped standard input, or $EDITOR when \
                neither is given on a terminal. The save is based on the version read first, so changes someone else \
                saved meanwhile are merged, not overwritten.
                """)
        @Argument(help: "The note's id.") var id: String
        @Option(help: "New title.") var title: String?
        @Option(help: "New comma-separated tags.") var tags: String?
        @Flag(help: "Change only the title and tags, not the content.") var keepContent = false
        @OptionGroup var input: ContentInput
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.client()
            let current = try await report { try await api.send(.GET, "api/v1/notes/\(id)", as: NoteResource.self) }
            let content = keepContent ? nil : try input.read(editing: current.content ?? "")
            let body = NoteRequest(NoteEdit(title: title, content: content, tags: tags.map(splitTags)), baseVersion: current.version)
            let saved = try await report { try await api.send(.PATCH, "api/v1/notes/\(id)", body: body, as: NoteResource.self) }
            if saved.version == current.version {
                print("no change (version \(saved.version))")
            } else {
                print("saved version \(saved.version)" + (saved.merged == true ? ", merged with changes saved meanwhile" : ""))
            }
        }
    }

    struct Share: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Share a note with everyone on the hub.")
        @Argument(help: "The note's id.") var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            let note = try await report { try await client.client().send(.POST, "api/v1/notes/\(id)/share", as: NoteResource.self) }
            print("shared (version \(note.version))")
        }
    }

    struct Unshare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a shared note private again (its owner only).")
        @Argument(help: "The note's id.") var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            let note = try await report { try await client.client().send(.POST, "api/v1/notes/\(id)/unshare", as: NoteResource.self) }
            print("private (version \(note.version))")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a note to the trash (restorable for 30 days).")
        @Argument(help: "The note's id.") var id: String
        @OptionGroup var client: ClientOptions
        func run() async throws {
            _ = try await report { try await client.client().send(.DELETE, "api/v1/notes/\(id)", as: HubAPIClient.Empty.self) }
            print("moved to the trash")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring a note back from the trash, or restore one of its versions.")
        @Argument(help: "The note's id.") var id: String
        @Option(help: "Make this version's title, content and tags the newest version.") var version: Int?
        @OptionGroup var client: ClientOptions
        func run() async throws {
            let path = version.map { "api/v1/notes/\(id)/versions/\($0)/restore" } ?? "api/v1/notes/\(id)/restore"
            let note = try await report { try await client.client().send(.POST, path, as: NoteResource.self) }
            print("restored (version \(note.version))")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a note's versions, or show what changed between two.")
        @Argument(help: "The note's id.") var id: String
        @Option(help: "Show the line diff FROM:TO (for example 3:5).") var diff: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let api = try client.client()
            if let diff {
                let parts = diff.split(separator: ":").compactMap { Int($0) }
                guard parts.count == 2 else { throw ValidationError("--diff takes FROM:TO, for example 3:5") }
                let result = try await report { try await api.send(.GET, "api/v1/notes/\(id)/diff?from=\(parts[0])&to=\(parts[1])", as: NoteDiffResource.self) }
                for line in result.lines {
                    print((line.kind == "added" ? "+ " : line.kind == "removed" ? "- " : "  ") + line.text)
                }
                if result.truncated == true { print("… the comparison goes on past the \(result.lines.count) lines shown") }
                return
            }
            let versions = try await report { try await api.send(.GET, "api/v1/notes/\(id)/versions", as: NoteVersionListResource.self) }
            for version in versions.items {
                print([String(version.version), version.at.formatted(.iso8601), version.author, version.summary].joined(separator: "\t"))
            }
        }
    }
}

/// Where a note's content comes from.
struct ContentInput: ParsableArguments {
    @Option(help: "Read the content from this file (- for standard input).") var file: String?
    @Option(help: "The content itself.") var content: String?

    /// The content given, or typed in $EDITOR (starting from `editing`) on a terminal, or read
    /// from piped standard input; nil when there is none.
    func read(editing current: String) throws -> String? {
        if let content { return content }
        if let file {
            if file == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            return String(decoding: data, as: UTF8.self)
        }
        if isatty(STDIN_FILENO) == 0 {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        return try editInEditor(current)
    }

    private func editInEditor(_ text: String) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let editor = environment["VISUAL"] ?? environment["EDITOR"] ?? "vi"
        let path = NSTemporaryDirectory() + "streamhub-note-\(UUID().uuidString).md"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The editor setting may carry arguments ("code --wait"), so the shell splits it.
        process.arguments = ["-c", "\(editor) \"$0\"", path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(editor) exited with status \(process.terminationStatus); nothing saved") }
        return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }
}

/// Runs an API call, turning the hub's error into one line on standard error and exit code 1.
func report<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let failure as HubAPIClient.Failure {
        throw Failure.report(failure.description)
    }
}

func splitTags(_ list: String) -> [String] {
    list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

func queryString(_ items: [URLQueryItem]) -> String {
    var components = URLComponents()
    components.queryItems = items
    return components.string ?? ""
}

private func line(_ item: NoteSummaryResource) -> String {
    [item.id, "v\(item.version)", item.shared ? "shared" : "private", item.updatedAt.formatted(.iso8601), item.title]
        .joined(separator: "\t")
}

/// A search highlight (HTML) as terminal text: matches in **bold** markers, entities decoded.
private func plain(_ html: String) -> String {
    html.replacingOccurrences(of: "<mark>", with: "**").replacingOccurrences(of: "</mark>", with: "**")
        .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
        .replacingOccurrences(of: "&amp;", with: "&")
}
