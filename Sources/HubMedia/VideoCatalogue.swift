import Foundation
import HubCore
import Logging
import Synchronization

/// This hub's side of the shared video catalogue (`SharedCatalogue`): it writes the entries of
/// the hub's own shared videos as their owners upload, edit, unshare and delete them, merges the
/// entries peers bring, and lists peers' shared videos for the library.
///
/// The video table stays the truth about this hub's own videos; each entry is derived from its
/// row. A write to the row and the entry's write are two steps, so a crash between them leaves
/// the entry behind: `reconcile()` (at start and hourly) derives every entry again and writes
/// what differs, so a missed step costs a delay, never a video wrongly listed or left private.
///
/// An entry is made the first time a video is shared and never before: a private video's title
/// never reaches the catalogue, so it cannot reach a peer. Unsharing and deletion keep the entry
/// as a tombstone with its text emptied, so the change travels and peers drop the video.
public final class VideoCatalogue: SharedCatalogue {
    let repository: any CatalogueRepository
    let videos: any VideoRepository
    let accounts: any AccountRepository
    let node: NodeIdentity
    /// Whether peers' videos are listed and played here: only while the peer network is on, as
    /// their bytes come through it. Entries kept from before stay, for when it is on again.
    let listsPeersVideos: Bool
    let hlc: HybridLogicalClock
    let logger: Logger
    /// One read-modify-write of the catalogue at a time on this instance: an own write and a
    /// peer's merge of the same entry must not interleave and lose one of them.
    private let gate = AsyncGate()
    /// Peers' listed entries read recently: a peer's video being played is looked up on every
    /// range request. A merge on this instance drops what it changes; one on another instance
    /// sharing the PostgreSQL database is seen here within the lifetime.
    private let recentPeerEntries = ExpiringCache<VideoID, CatalogueEntry>(lifetime: .seconds(5), capacity: 256)
    private let changeHandlers = Mutex<[@Sendable (VideoID) -> Void]>([])
    private let withdrawalHandlers = Mutex<[@Sendable (VideoID) async -> Void]>([])

    public init(
        repository: any CatalogueRepository, videos: any VideoRepository, accounts: any AccountRepository, node: NodeIdentity,
        listsPeersVideos: Bool = true, clock: any WallClock, logger: Logger
    ) {
        self.listsPeersVideos = listsPeersVideos
        self.repository = repository
        self.videos = videos
        self.accounts = accounts
        self.node = node
        self.hlc = HybridLogicalClock(wallClock: clock)
        self.logger = logger
    }

    // MARK: - This hub's own videos

    /// Brings `video`'s entry in line with its row after an upload or an edit. Never throws: the
    /// video is stored either way, and `reconcile()` retries what failed here.
    public func publish(_ video: Video) async {
        await write(video, deleted: false)
    }

    /// Marks a deleted video's entry as a tombstone, when it ever had one.
    public func withdraw(_ video: Video) async {
        await write(video, deleted: true)
    }

    private func write(_ video: Video, deleted: Bool) async {
        do {
            let changed = try await gate.pass {
                let previous = try await self.repository.entries([video.id])[video.id]
                guard let entry = try await self.entry(for: video, previous: previous, deleted: deleted) else { return false }
                try await self.repository.save([entry])
                return true
            }
            if changed { announce([video.id]) }
        } catch is CancellationError {
            // Shutting down: the reconcile at the next start writes it.
        } catch {
            logger.warning(
                "could not update a video's entry in the shared catalogue; the hourly reconcile will",
                metadata: ["video.id": "\(video.id)", "error": "\(error)"])
        }
    }

    /// Derives every own entry again from the video table and writes what differs: shared videos
    /// without an entry (shared before the catalogue existed, or a write that failed) and listed
    /// entries whose video is gone or private now. Returns how many entries it wrote.
    @discardableResult
    public func reconcile() async throws -> Int {
        var written = 0
        var offset = 0
        while true {
            try Task.checkCancellation()
            let page = try await videos.list(query: nil, visibility: .everything, offset: offset, limit: 200)
            written += try await rewrite(page.items.map { ($0.id, $0) })
            offset += page.items.count
            if page.items.isEmpty || offset >= page.total { break }
        }
        let ids = Array(try await repository.digests().keys)
        for start in stride(from: 0, to: ids.count, by: 500) {
            try Task.checkCancellation()
            let held = try await repository.entries(Array(ids[start..<min(start + 500, ids.count)]))
            var stale: [(VideoID, Video?)] = []
            for entry in held.values where entry.origin == node.id && entry.isListed {
                let video = try await videos.find(entry.video)
                if video?.isShared != true { stale.append((entry.video, video)) }
            }
            written += try await rewrite(stale)
        }
        if written > 0 { logger.info("brought the shared catalogue in line with the library", metadata: ["entries": "\(written)"]) }
        return written
    }

    /// Writes the entries of `videos` (nil: the video is gone) that differ from what is held.
    private func rewrite(_ videos: [(id: VideoID, video: Video?)]) async throws -> Int {
        guard !videos.isEmpty else { return 0 }
        let changed: [VideoID] = try await gate.pass {
            let held = try await self.repository.entries(videos.map(\.id))
            var entries: [CatalogueEntry] = []
            for (id, video) in videos {
                if let video {
                    if let entry = try await self.entry(for: video, previous: held[id], deleted: false) { entries.append(entry) }
                } else if let previous = held[id], let entry = self.tombstone(previous) {
                    entries.append(entry)
                }
            }
            if !entries.isEmpty { try await self.repository.save(entries) }
            return entries.map(\.video)
        }
        announce(changed)
        return changed.count
    }

    /// The entry `video` should have, or nil when the one held is already right (or when there
    /// should be none: a video never shared has no entry, and a deleted one keeps its tombstone).
    private func entry(for video: Video, previous: CatalogueEntry?, deleted: Bool) async throws -> CatalogueEntry? {
        guard video.origin == nil else { return nil }
        // Its facts (digest, size, codecs) are fixed with its first entry, so a video joins the
        // catalogue once processing has settled them.
        guard previous != nil || (video.isShared && !deleted && video.processing.status == .ready) else { return nil }
        let listed = video.isShared && !deleted
        let stamp = nextStamp(after: previous)
        func field<Value>(_ held: CatalogueEntry.Field<Value>?, _ value: Value) -> CatalogueEntry.Field<Value> {
            if let held, held.value == value { return held }
            return CatalogueEntry.Field(value, at: stamp)
        }
        let entry = CatalogueEntry(
            video: video.id, origin: node.id, owner: try await owner(of: previous, video), facts: previous?.facts ?? Self.facts(of: video),
            title: field(previous?.title, listed ? video.title : ""), description: field(previous?.description, listed ? video.description : ""),
            tags: field(previous?.tags, listed ? video.tags : []), shared: field(previous?.shared, video.isShared),
            deleted: field(previous?.deleted, deleted || previous?.deleted.value == true))
        return entry == previous ? nil : entry
    }

    /// A listed entry whose video is gone: deleted, its text emptied.
    private func tombstone(_ previous: CatalogueEntry) -> CatalogueEntry? {
        guard previous.origin == node.id, !previous.deleted.value else { return nil }
        let stamp = nextStamp(after: previous)
        var entry = previous
        entry.title = .init("", at: stamp)
        entry.description = .init("", at: stamp)
        entry.tags = .init([], at: stamp)
        entry.deleted = .init(true, at: stamp)
        return entry
    }

    /// A stamp after every write the entry holds, even if this hub's wall clock went back.
    private func nextStamp(after previous: CatalogueEntry?) -> ChangeStamp {
        if let newest = previous?.stamps.max() { hlc.observe(newest.clock) }
        return ChangeStamp(clock: hlc.now(), node: node.id)
    }

    private func owner(of previous: CatalogueEntry?, _ video: Video) async throws -> String {
        if let previous { return previous.owner }
        var name = "former-member"
        if let id = video.ownerID, let user = try await accounts.user(id) { name = user.name }
        return "\(name)@\(node.name)"
    }

    /// The fixed facts, with the upload time in whole seconds: peers compare facts for equality,
    /// and every encoding on the way (JSON on the wire, each database's column) keeps seconds.
    static func facts(of video: Video) -> CatalogueEntry.Facts {
        CatalogueEntry.Facts(
            sizeBytes: video.sizeBytes, sha256: video.sha256, contentType: video.contentType, media: video.media,
            createdAt: Date(timeIntervalSince1970: video.createdAt.timeIntervalSince1970.rounded(.down)), hasThumbnail: video.thumbnailKey != nil)
    }

    private func announce(_ ids: [VideoID]) {
        guard !ids.isEmpty else { return }
        for handler in changeHandlers.withLock({ $0 }) {
            for id in ids { handler(id) }
        }
    }

    // MARK: - Peers' videos

    /// A peer's shared video as listed here, or nil (unknown, withdrawn, or this hub's own).
    /// A peer's listed entry read in the last few seconds, from memory; nil when there is none.
    public func recentPeerVideo(_ id: VideoID) -> CatalogueEntry? {
        listsPeersVideos ? recentPeerEntries.value(for: id) : nil
    }

    public func peerVideo(_ id: VideoID) async throws -> CatalogueEntry? {
        guard listsPeersVideos else { return nil }
        if let entry = recentPeerEntries.value(for: id) { return entry }
        guard let entry = try await repository.entries([id])[id], entry.origin != node.id, entry.isListed else { return nil }
        recentPeerEntries.store(entry, for: id)
        return entry
    }

    /// Peers' listed videos, newest first, matching `query` when given.
    public func peerVideos(query: String?, offset: Int, limit: Int) async throws -> Page<CatalogueEntry> {
        guard listsPeersVideos else { return Page(items: [], total: 0, offset: offset, limit: limit) }
        return try await repository.listed(query: query, excludingOrigin: node.id, offset: offset, limit: limit)
    }

    /// Calls `handler` with each peer's video that stops being listed here (unshared or deleted
    /// on its origin), once the tombstone is stored: what was kept of it can go.
    public func onWithdrawal(_ handler: @escaping @Sendable (VideoID) async -> Void) {
        withdrawalHandlers.withLock { $0.append(handler) }
    }

    // MARK: - SharedCatalogue

    public func digests() async throws -> [VideoID: UInt64] {
        try await repository.digests()
    }

    public func entries(_ ids: [VideoID]) async throws -> [CatalogueEntry] {
        Array(try await repository.entries(ids).values)
    }

    public func merge(_ incoming: [CatalogueEntry], fromPeer peer: String) async throws -> CatalogueMergeOutcome {
        let outcome: CatalogueMergeOutcome = try await gate.pass {
            var outcome = CatalogueMergeOutcome()
            let held = try await self.repository.entries(Array(Set(incoming.map(\.video))))
            var merged: [VideoID: CatalogueEntry] = [:]
            for entry in incoming {
                if entry.origin == self.node.id {
                    // Only this hub writes its own entries. A peer still behind holds an older
                    // copy (anti-entropy pulls it when digests differ): nothing to say. One with a
                    // write this hub never made is a forgery.
                    let mine = held[entry.video]
                    if let mine, zip(entry.stamps, mine.stamps).allSatisfy({ $0 <= $1 }) { continue }
                    if mine?.digest != entry.digest {
                        outcome.refused.append((entry.video, "an entry naming this hub as its origin that differs from this hub's own"))
                    }
                    continue
                }
                let current = merged[entry.video] ?? held[entry.video]
                if current == nil, try await self.videos.find(entry.video) != nil {
                    // A peer's entry must not shadow one of this hub's own videos in the library.
                    outcome.refused.append((entry.video, "names one of this hub's own videos"))
                    continue
                }
                do throws(InvalidInput) {
                    try entry.validate()
                    if var current {
                        if try current.merge(entry) { merged[entry.video] = current }
                    } else {
                        merged[entry.video] = entry
                    }
                } catch {
                    outcome.refused.append((entry.video, error.message))
                }
            }
            guard !merged.isEmpty else { return outcome }
            try await self.repository.save(Array(merged.values))
            for id in merged.keys { self.recentPeerEntries.remove(id) }
            outcome.changed = Array(merged.keys)
            outcome.withdrawn = merged.values.filter { held[$0.video]?.isListed == true && !$0.isListed }.map(\.video)
            return outcome
        }
        for id in outcome.withdrawn {
            for handler in withdrawalHandlers.withLock({ $0 }) { await handler(id) }
        }
        for (video, reason) in outcome.refused {
            logger.warning("refused a peer's catalogue entry", metadata: ["peer": "\(peer)", "video.id": "\(video)", "reason": "\(reason)"])
        }
        return outcome
    }

    public func onLocalChange(_ handler: @escaping @Sendable (VideoID) -> Void) {
        changeHandlers.withLock { $0.append(handler) }
    }
}
