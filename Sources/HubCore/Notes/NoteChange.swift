/// One change to a note's state: its content (a sequence-CRDT operation) or one of its
/// last-writer-wins registers.
public enum NoteOperation: Sendable, Hashable {
    case text(TextOperation)
    case title(String)
    case tags([String])
    case shared(Bool)
    /// Deleting is a register too, so a delete and a restore made on different hubs settle the
    /// same way everywhere.
    case deleted(Bool)
    /// The video the note belongs to, if any.
    case video(VideoID?)
}

/// Everything one save did to a note, stamped once: the unit that becomes a version on every
/// hub that applies it, that is stored in the note's history, and that peers exchange.
public struct NoteChange: Sendable, Hashable, Codable {
    public var note: NoteID
    public var stamp: ChangeStamp
    /// Who made it, as `name@node-name`.
    public var author: String
    public var operations: [NoteOperation]

    public init(note: NoteID, stamp: ChangeStamp, author: String, operations: [NoteOperation]) {
        self.note = note
        self.stamp = stamp
        self.author = author
        self.operations = operations
    }

    /// What the change sets the note's sharing to, when it touches sharing: what decides which of
    /// a note's changes may leave its hub.
    public var sharing: Bool? {
        operations.lazy.compactMap { if case .shared(let shared) = $0 { shared } else { nil } }.last
    }

    /// Scalars inserted and removed by the change's text operations, for the history list.
    public var textDelta: (inserted: Int, removed: Int) {
        operations.reduce(into: (0, 0)) { total, operation in
            guard case .text(let text) = operation else { return }
            switch text {
            case .insert(_, _, _, let scalars): total.0 += scalars.count
            case .delete(_, let counters): total.1 += counters.count
            }
        }
    }

    /// What the change touched, in words ("content +12 −3, title, shared").
    public var summary: String {
        var parts: [String] = []
        let delta = textDelta
        if delta.inserted > 0 || delta.removed > 0 { parts.append("content +\(delta.inserted) −\(delta.removed)") }
        for operation in operations {
            switch operation {
            case .text: continue
            case .title: parts.append("title")
            case .tags: parts.append("tags")
            case .shared(let shared): parts.append(shared ? "shared" : "unshared")
            case .deleted(let deleted): parts.append(deleted ? "deleted" : "restored")
            case .video(let video): parts.append(video == nil ? "detached from video" : "attached to video")
            }
        }
        return parts.isEmpty ? "no change" : parts.joined(separator: ", ")
    }
}

extension NoteOperation: Codable {
    private enum CodingKeys: String, CodingKey { case text, title, tags, shared, deleted, video }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let key = container.allKeys.first, container.allKeys.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an operation has exactly one kind"))
        }
        switch key {
        case .text: self = .text(try container.decode(TextOperation.self, forKey: key))
        case .title: self = .title(try container.decode(String.self, forKey: key))
        case .tags: self = .tags(try container.decode([String].self, forKey: key))
        case .shared: self = .shared(try container.decode(Bool.self, forKey: key))
        case .deleted: self = .deleted(try container.decode(Bool.self, forKey: key))
        case .video: self = .video(try container.decodeIfPresent(VideoID.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let operation): try container.encode(operation, forKey: .text)
        case .title(let title): try container.encode(title, forKey: .title)
        case .tags(let tags): try container.encode(tags, forKey: .tags)
        case .shared(let shared): try container.encode(shared, forKey: .shared)
        case .deleted(let deleted): try container.encode(deleted, forKey: .deleted)
        case .video(let video): try container.encode(video, forKey: .video)
        }
    }
}
