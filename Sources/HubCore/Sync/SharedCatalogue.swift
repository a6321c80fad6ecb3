/// What the peer network needs of the shared video catalogue, and all it may do to it: offer
/// entries, compare digests, merge what peers bring (held to the same bounds as an upload and an
/// edit), and hear of entries changed here. `VideoCatalogue` (HubMedia) is the real one.
public protocol SharedCatalogue: Sendable {
    /// Every entry's digest, for anti-entropy's comparison.
    func digests() async throws -> [VideoID: UInt64]
    /// The entries held of `ids`; tombstones included, so unsharing and deletion travel.
    func entries(_ ids: [VideoID]) async throws -> [CatalogueEntry]
    /// Merges a peer's entries, refusing what fails validation or claims to be this hub's.
    func merge(_ entries: [CatalogueEntry], fromPeer peer: String) async throws -> CatalogueMergeOutcome
    /// Peers' listed videos (shared, not deleted, made elsewhere), newest first.
    func peerVideos(query: String?, offset: Int, limit: Int) async throws -> Page<CatalogueEntry>
    /// Calls `handler` with every video whose entry changed on this hub (its own writes, and
    /// merges that brought something new), for gossip.
    func onLocalChange(_ handler: @escaping @Sendable (VideoID) -> Void)
}

/// What a merge of a peer's catalogue entries did.
public struct CatalogueMergeOutcome: Sendable {
    public init() {}

    /// Videos whose entry here changed: what gossip passes on.
    public var changed: [VideoID] = []
    /// Videos that were listed here and no longer are (unshared or deleted on their origin).
    public var withdrawn: [VideoID] = []
    /// Entries refused, with why.
    public var refused: [(video: VideoID, reason: String)] = []
}
