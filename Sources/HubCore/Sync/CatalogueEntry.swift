import Foundation

/// A shared video as the peer network carries it between hubs: the facts fixed when it was
/// uploaded (size, digest, type, what ffprobe found) and the fields its owner edits on its origin
/// hub (title, description, tags, sharing, deletion), each a last-writer-wins register settled by
/// (clock, node), as a note's title is. Every hub that saw the same writes shows the same entry,
/// whatever order they came in.
///
/// Only the origin writes: a register stamped by any other node is refused, so nobody but the
/// owner, on the hub the video lives on, can retitle, unshare or delete it. An entry that is
/// unshared or deleted stays as a tombstone, so the change travels and a late copy of the older
/// state cannot bring the video back.
public struct CatalogueEntry: Sendable, Equatable, Codable {
    public var video: VideoID
    /// The hub the video was uploaded to.
    public var origin: NodeID
    /// The owner as `name@node-name`.
    public var owner: String
    public var facts: Facts
    public var title: Field<String>
    public var description: Field<String>
    public var tags: Field<[String]>
    public var shared: Field<Bool>
    public var deleted: Field<Bool>

    /// What never changes once the video exists.
    public struct Facts: Sendable, Equatable, Codable {
        public var sizeBytes: Int64
        public var sha256: String
        public var contentType: String
        public var media: MediaInfo
        public var createdAt: Date
        public var hasThumbnail: Bool

        public init(sizeBytes: Int64, sha256: String, contentType: String, media: MediaInfo, createdAt: Date, hasThumbnail: Bool) {
            self.sizeBytes = sizeBytes
            self.sha256 = sha256
            self.contentType = contentType
            self.media = media
            self.createdAt = createdAt
            self.hasThumbnail = hasThumbnail
        }
    }

    /// A register's value with the stamp of the write that set it.
    public struct Field<Value: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
        public var value: Value
        public var stamp: ChangeStamp

        public init(_ value: Value, at stamp: ChangeStamp) {
            self.value = value
            self.stamp = stamp
        }

        /// The later of two writes; equal stamps with different values cannot come from one
        /// origin's clock, and keep the value already held.
        mutating func merge(_ other: Field) -> Bool {
            guard other.stamp > stamp else { return false }
            self = other
            return true
        }
    }

    public init(
        video: VideoID, origin: NodeID, owner: String, facts: Facts, title: Field<String>, description: Field<String>,
        tags: Field<[String]>, shared: Field<Bool>, deleted: Field<Bool>
    ) {
        self.video = video
        self.origin = origin
        self.owner = owner
        self.facts = facts
        self.title = title
        self.description = description
        self.tags = tags
        self.shared = shared
        self.deleted = deleted
    }

    /// Whether peers list and play it: shared and not deleted.
    public var isListed: Bool { shared.value && !deleted.value }

    /// Every register's stamp, for anti-entropy's digests: two hubs holding the same writes
    /// have the same stamps.
    public var stamps: [ChangeStamp] { [title.stamp, description.stamp, tags.stamp, shared.stamp, deleted.stamp] }

    /// Takes in what `other` (the same video, from a peer) knows; returns whether anything
    /// changed here. Refuses, changing nothing, an entry that names another origin, owner or
    /// facts, or holds a write the origin did not make.
    public mutating func merge(_ other: CatalogueEntry) throws(InvalidInput) -> Bool {
        guard other.video == video, other.origin == origin, other.owner == owner, other.facts == facts else {
            throw InvalidInput("video \(video) came with another origin, owner or content than this hub holds", code: "catalogue_conflict")
        }
        try other.checkStamps()
        var changed = title.merge(other.title)
        changed = description.merge(other.description) || changed
        changed = tags.merge(other.tags) || changed
        changed = shared.merge(other.shared) || changed
        changed = deleted.merge(other.deleted) || changed
        return changed
    }

    /// The checks a peer's entry passes before it is stored, the same bounds as an upload and an
    /// edit through the API: a peer cannot put in the catalogue what a user could not.
    public func validate() throws(InvalidInput) {
        func refuse(_ what: String) -> InvalidInput { InvalidInput("video \(video): \(what)", code: "invalid_catalogue_entry") }
        try checkStamps()
        // A tombstone carries no text: an unshared video's title is private again.
        guard Self.isLine(title.value, upTo: VideoLimits.titleLength), !title.value.isEmpty || !isListed else {
            throw refuse("a title is one line of 1 to \(VideoLimits.titleLength) characters")
        }
        guard description.value.unicodeScalars.count <= VideoLimits.descriptionLength else {
            throw refuse("a description is at most \(VideoLimits.descriptionLength) characters")
        }
        guard tags.value.count <= VideoLimits.tagCount, tags.value.allSatisfy({ Self.isLine($0, upTo: VideoLimits.tagLength) && !$0.isEmpty })
        else {
            throw refuse("at most \(VideoLimits.tagCount) tags of 1 to \(VideoLimits.tagLength) characters")
        }
        guard let at = owner.lastIndex(of: "@"), owner.startIndex < at, Self.isLine(owner, upTo: 127) else {
            throw refuse("an owner is name@node-name")
        }
        guard (1...BlockManifest.largestFileSize).contains(facts.sizeBytes), BlockHash(hex: facts.sha256) != nil,
            facts.contentType.hasPrefix("video/"), Self.isLine(facts.contentType, upTo: 100)
        else {
            throw refuse("a size of 1 byte to 5 TiB, a SHA-256 in lowercase hex and a video/ type")
        }
        let media = facts.media
        let dimensions = [media.width, media.height].compactMap { $0 }
        guard media.durationSeconds.map({ $0.isFinite && $0 >= 0 && $0 <= 10_000_000 }) ?? true,
            dimensions.allSatisfy({ (0...100_000).contains($0) }),
            [media.videoCodec, media.audioCodec].compactMap({ $0 }).allSatisfy({ Self.isLine($0, upTo: 64) })
        else {
            throw refuse("media figures out of bounds")
        }
    }

    private func checkStamps() throws(InvalidInput) {
        guard stamps.allSatisfy({ $0.node == origin }) else {
            throw InvalidInput("video \(video) holds a change its origin hub did not make", code: "catalogue_forged")
        }
    }

    /// One line of printable text of at most `bytes` bytes.
    static func isLine(_ text: String, upTo characters: Int) -> Bool {
        text.unicodeScalars.count <= characters && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

extension CatalogueEntry {
    /// The entry as the library shows a video: a peer's video, its bytes held elsewhere.
    public var libraryVideo: Video {
        Video(
            id: video, title: title.value, description: description.value, tags: tags.value, originalFilename: title.value,
            contentType: facts.contentType, sizeBytes: facts.sizeBytes, sha256: facts.sha256, storageKey: "",
            thumbnailKey: facts.hasThumbnail ? Self.keptThumbnailKey(of: video) : nil, media: facts.media, createdAt: facts.createdAt,
            updatedAt: max(facts.createdAt, stamps.map(\.clock.date).max() ?? facts.createdAt), ownerID: nil, isShared: isListed,
            origin: PeerOrigin(node: origin, owner: owner))
    }

    /// Where this hub keeps a peer's video's thumbnail once fetched, and its manifest: beside the
    /// hub's own objects, under a prefix of their own, removed when the video is withdrawn.
    public static func keptThumbnailKey(of video: VideoID) -> String { "peer-videos/\(video)/thumbnail" }
    public static func keptManifestKey(of video: VideoID) -> String { "peer-videos/\(video)/blocks" }
}
