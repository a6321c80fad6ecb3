import Foundation

/// A note as people see it: its current title, markdown content and tags, who made it and who
/// may see it. Derived from the note's `NoteDocument` after every change and stored as a row, so
/// listing and search never replay history.
public struct Note: Sendable, Equatable, Identifiable, OwnedItem {
    public var id: NoteID
    public var title: String
    public var content: String
    public var tags: [String]
    /// The local account that made it; nil for notes that came from a peer, and for notes
    /// whose account was deleted (only admins manage those).
    public var ownerID: UserID?
    /// Who made it, as `name@node-name`; shown everywhere the note travels.
    public var author: String
    /// Who made the latest change, as `name@node-name`.
    public var lastEditor: String
    public var isShared: Bool
    public var videoID: VideoID?
    /// Counts every change applied here, local or merged; every version is kept.
    public var version: Int
    public var createdAt: Date
    public var updatedAt: Date
    /// Set while the note is in the trash: restorable by its owner until it is purged.
    public var deletedAt: Date?
    /// The hub the note was created on. Its sharing and deletion are decided there, by its
    /// owner; other hubs hold a copy anyone may edit while it is shared.
    public var homeNode: NodeID?

    public init(
        id: NoteID, title: String, content: String, tags: [String], ownerID: UserID?, author: String, lastEditor: String,
        isShared: Bool, videoID: VideoID?, version: Int, createdAt: Date, updatedAt: Date, deletedAt: Date?,
        homeNode: NodeID? = nil
    ) {
        self.id = id
        self.title = title
        self.content = content
        self.tags = tags
        self.ownerID = ownerID
        self.author = author
        self.lastEditor = lastEditor
        self.isShared = isShared
        self.videoID = videoID
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
        self.homeNode = homeNode
    }

    public var isDeleted: Bool { deletedAt != nil }
}

/// What one save asks for; nil fields stay as they are.
public struct NoteEdit: Sendable, Equatable {
    public var title: String?
    public var content: String?
    public var tags: [String]?
    public var shared: Bool?
    public var deleted: Bool?
    /// `.some(nil)` detaches the note from its video.
    public var video: VideoID??

    public init(title: String? = nil, content: String? = nil, tags: [String]? = nil, shared: Bool? = nil, deleted: Bool? = nil, video: VideoID?? = nil) {
        self.title = title
        self.content = content
        self.tags = tags
        self.shared = shared
        self.deleted = deleted
        self.video = video
    }
}

/// The notepad's limits, checked before anything is stored.
public enum NoteLimits {
    public static let titleLength = 200
    public static let tagCount = 20
    public static let tagLength = 40
    /// The default for `NOTE_MAX_BYTES`.
    public static let defaultContentBytes = 2 << 20
    /// How long a deleted note stays restorable.
    public static let trashRetention: TimeInterval = 30 * 86_400
}
