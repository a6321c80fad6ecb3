import Foundation
import HubCore
import HubSystem
import Logging

/// Keeps whole the peers' videos this hub is a replica holder of, so a video stays playable when
/// its origin goes away. Each round it works out, from the catalogue and the alive peers, which
/// videos rendezvous hashing gives this hub (`ReplicaPlacement`) and which an admin pinned here;
/// fetches every block of those it does not hold yet, pinned in the block cache; and releases the
/// ones it no longer holds for anyone (the blocks stay as cache, least recently used out first).
/// When a holder dies, the next hub by score finds the video in its own share at its next round.
public final class ReplicaKeeper: Sendable {
    let catalogue: any SharedCatalogue
    let network: PeerNetwork
    let videos: PeerVideos
    let replicas: ReplicaLibrary
    let logger: Logger

    public init(catalogue: any SharedCatalogue, network: PeerNetwork, videos: PeerVideos, replicas: ReplicaLibrary, logger: Logger) {
        self.catalogue = catalogue
        self.network = network
        self.videos = videos
        self.replicas = replicas
        self.logger = logger
    }

    /// Rounds as often as anti-entropy: a holder that died is replaced about as fast as gossip
    /// notices it.
    public func service(every interval: Duration) -> PeriodicService {
        PeriodicService("keeping replicas of peers' videos", every: max(interval, .seconds(1)), logger: logger) { try await self.round() }
    }

    /// One round; returns the videos it finished keeping whole.
    @discardableResult
    public func round() async throws -> [VideoID] {
        // Until the cache has indexed what a previous run kept, every block would look missing.
        guard await videos.cache.isLoaded else { return [] }
        let own = network.identity.id
        let pins = await videos.pins()
        let alive = await videos.aliveNodes()
        var wanted: [VideoID: CatalogueEntry] = [:]
        var offset = 0
        while true {
            try Task.checkCancellation()
            let page = try await catalogue.peerVideos(query: nil, offset: offset, limit: 500)
            for entry in page.items {
                let chosen = ReplicaPlacement.holders(
                    of: entry.video, origin: entry.origin, among: alive + [own], count: videos.replicas - 1)
                if chosen.contains(own) || pins.contains(entry.video) { wanted[entry.video] = entry }
            }
            offset += page.items.count
            if page.items.isEmpty || offset >= page.total { break }
        }
        for video in replicas.pinnedVideos.keys where wanted[video] == nil {
            await replicas.release(video)
            logger.info("no longer keeping a peer's video whole", metadata: ["video.id": "\(video)"])
        }
        var finished: [VideoID] = []
        for (id, entry) in wanted where !replicas.isWhole(id) {
            do {
                try await keepWhole(entry)
                finished.append(id)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning("could not keep a peer's video whole yet", metadata: ["video.id": "\(id)", "error": "\(error)"])
            }
        }
        return finished
    }

    /// Fetches every block of the video not held yet, pinned, then its thumbnail.
    private func keepWhole(_ entry: CatalogueEntry) async throws {
        let video = entry.libraryVideo
        var holders = await videos.holders(of: video)
        let manifest = try await videos.manifest(of: video, from: holders)
        await replicas.pin(video.id, manifest)
        let fetcher = videos.fetcher
        // A few blocks at a time, in order: a whole video must not take every connection.
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            var asked = ContinuousClock.now
            for index in manifest.blocks.indices {
                if await fetcher.cache.holds([manifest.blocks[index]]) { continue }
                if started >= 4 { try await group.next() }
                started += 1
                // Asked again each second: a hub that has just joined knows only its seed at
                // first, and holders that finish their own copy meanwhile share the fetch.
                if ContinuousClock.now - asked > .seconds(1) {
                    holders = await videos.holders(of: video)
                    asked = .now
                }
                let from = holders
                group.addTask { _ = try await fetcher.block(index, of: video.id, manifest: manifest, from: from) }
            }
            try await group.waitForAll()
        }
        try await fetcher.settled()
        guard await fetcher.cache.holds(manifest.blocks) else { throw PeerVideoUnavailable(video: video.id, problem: "blocks went missing") }
        if entry.facts.hasThumbnail { _ = try? await videos.keptThumbnail(of: video) }
        replicas.markWhole(video.id)
        logger.info("keeping a peer's video whole", metadata: ["video.id": "\(video.id)", "video.size": "\(video.sizeBytes)"])
    }
}
