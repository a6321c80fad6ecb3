import Foundation
import HubCore

/// A note as a file, in DESIGN.md's layout (`notes/{note_id}.json`): the current version
/// with its number, readable by people and other tools. Exports add the note's full history
/// (`changes`), which an import merges like a peer's changes, so nothing either hub wrote is lost.
public struct NoteFile: Codable, Sendable, Equatable {
    public var id: NoteID
    public var title: String
    public var content: String
    public var tags: [String]
    public var shared: Bool
    public var version: Int
    public var author: String
    public var lastEditor: String
    public var videoId: VideoID?
    public var createdAt: Date
    public var updatedAt: Date
    public var changes: [NoteChange]?

    public init(_ note: Note, changes: [NoteChange]? = nil) {
        id = note.id
        title = note.title
        content = note.content
        tags = note.tags
        shared = note.isShared
        version = note.version
        author = note.author
        lastEditor = note.lastEditor
        videoId = note.videoID
        createdAt = note.createdAt
        updatedAt = note.updatedAt
        self.changes = changes
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
