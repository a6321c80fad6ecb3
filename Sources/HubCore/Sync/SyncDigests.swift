/// A note's sync digests as changes are recorded: the XOR of every change's stamp digest, and of
/// those made since the note was last unshared while it stays unshared (peers never get them, see
/// `NotepadService.outgoing`), so the digest offered to peers is `all ^ unshared`.
public struct SyncDigests: Sendable, Equatable {
    public var all: UInt64
    public var unshared: UInt64
    public var published: Bool

    public init(all: UInt64 = 0, unshared: UInt64 = 0, published: Bool = false) {
        (self.all, self.unshared, self.published) = (all, unshared, published)
    }

    /// What peers are offered: the changes made while unshared left out.
    public var offered: UInt64 { all ^ unshared }

    /// `sharedNow`: whether the note is shared once these changes are applied.
    public mutating func record(_ change: NoteChange, sharedNow: Bool) {
        all ^= change.stamp.digest
        if let sharing = change.sharing {
            published = published || sharing
            unshared = 0
        } else if published, !sharedNow {
            unshared ^= change.stamp.digest
        }
    }
}
