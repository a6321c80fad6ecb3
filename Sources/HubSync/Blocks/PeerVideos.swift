import Foundation
import HubCore
import Logging
import NIOCore

/// Plays peers' shared videos from this hub: finds the hubs that hold a video, fetches and keeps
/// its manifest and thumbnail, and hands ranges to the `BlockFetcher`, which verifies every block
/// against the manifest. The manifest itself is checked against the catalogue's SHA-256 and size
/// before it is trusted, so a holder cannot vouch for blocks of other bytes.
///
/// What is kept of a peer's video (manifest, thumbnail, blocks) is dropped when the catalogue
/// says the video was unshared or deleted on its origin (`forget`).
public final class PeerVideos: Sendable {
    let network: PeerNetwork
    let fetcher: BlockFetcher
    /// The peers' videos kept whole here, as offered to other peers.
    public let kept: ReplicaLibrary
    /// How many hubs keep each video whole, its origin included (`P2P_VIDEO_REPLICAS`).
    public let replicas: Int
    let store: any ObjectStore
    let logger: Logger
    /// Manifests read recently, as `VideoLibraryForPeers` keeps its own (only small ones, so 64
    /// stay under 16 MiB): a playing video asks for its manifest on every range request.
    let manifests = ExpiringCache<VideoID, BlockManifest>(lifetime: .seconds(300), capacity: 64)

    /// The cache of peers' blocks, pinned ones included.
    public var cache: BlockCache { fetcher.cache }

    public init(network: PeerNetwork, fetcher: BlockFetcher, kept: ReplicaLibrary, replicas: Int, store: any ObjectStore, logger: Logger) {
        self.network = network
        self.fetcher = fetcher
        self.kept = kept
        self.replicas = replicas
        self.store = store
        self.logger = logger
    }

    /// The hubs to ask for `video`'s blocks: its origin and the replica holders rendezvous
    /// hashing picks among the alive hubs (the same ones every hub picks), those not known dead.
    public func holders(of video: Video) async -> [BlockFetcher.Holder] {
        guard let origin = video.origin else { return [] }
        let own = network.identity.id
        let statuses = await network.membership.statuses().filter { $0.state != .dead && $0.node != nil }
        let alive = statuses.filter { $0.state == .alive }.compactMap(\.node)
        let chosen = [origin.node] + ReplicaPlacement.holders(of: video.id, origin: origin.node, among: alive + [own], count: replicas - 1)
        return chosen.filter { $0 != own }.compactMap { node in
            statuses.first { $0.node == node }.map { BlockFetcher.Holder(address: $0.address, name: $0.name) }
        }
    }

    /// The nodes of the peers answering now.
    func aliveNodes() async -> [NodeID] {
        await network.membership.statuses().filter { $0.state == .alive }.compactMap(\.node)
    }

    // MARK: - Pins

    /// Keeps a whole copy of a peer's video here whatever the placement says (an admin's
    /// choice), until unpinned or withdrawn by its origin. The pin is a marker object beside the
    /// kept manifest, so every instance on the store sees it and it survives restarts.
    public func pin(_ video: VideoID) async throws {
        _ = try await store.put(Self.pinKey(of: video), bytes: ByteBuffer(), contentType: nil)
    }

    public func unpin(_ video: VideoID) async throws {
        do {
            try await store.delete(Self.pinKey(of: video))
        } catch ObjectStoreError.notFound {}
    }

    public func isPinned(_ video: VideoID) async -> Bool {
        (try? await store.head(Self.pinKey(of: video))) != nil
    }

    /// The videos pinned here.
    func pins() async -> Set<VideoID> {
        var pinned: Set<VideoID> = []
        do {
            for try await object in store.objects(prefix: "peer-videos/") where object.key.rawValue.hasSuffix("/pinned") {
                if let id = VideoID(String(object.key.rawValue.split(separator: "/").dropLast().last ?? "")) { pinned.insert(id) }
            }
        } catch {
            logger.warning("could not list pinned videos", metadata: ["error": "\(error)"])
        }
        return pinned
    }

    static func pinKey(of video: VideoID) -> ObjectKey {
        try! ObjectKey("peer-videos/\(video)/pinned")  // an id is a UUID: always a valid key
    }

    /// The bytes of `range` of a peer's video, its first block already here: a video no holder
    /// can send is a clean error before the response starts, not a stream cut short.
    public func bytes(_ range: ClosedRange<Int64>, of video: Video) async throws -> ObjectByteStream {
        let holders = await holders(of: video)
        let manifest = try await manifest(of: video, from: holders)
        let info = ObjectInfo(key: try ObjectKey("peer-videos/\(video.id)/source"), size: video.sizeBytes, modifiedAt: video.createdAt)
        do {
            return try await fetcher.bytes(range, of: video.id, manifest: manifest, from: holders, info: info)
        } catch let error as PeerUnanswered {
            throw PeerVideoUnavailable(video: video.id, problem: error.message)
        }
    }

    /// A peer's video's manifest: from memory, from the store, or from a holder, checked against
    /// what the catalogue says of the video before it is kept.
    func manifest(of video: Video, from holders: [BlockFetcher.Holder]) async throws -> BlockManifest {
        if let manifest = manifests.value(for: video.id), manifest.sha256 == video.sha256 { return manifest }
        let key = try ObjectKey(CatalogueEntry.keptManifestKey(of: video.id))
        if let kept = try? await store.contents(of: key, limit: BlockManifest.largestEncodedSize), let manifest = try? BlockManifest(decoding: kept),
            Self.describes(manifest, video)
        {
            remember(manifest, of: video.id)
            return manifest
        }
        var problems: [String] = []
        for holder in holders {
            do {
                let bytes = try await network.transport.fetch(
                    PeerMessage.ManifestRequest(video: video.id), from: holder.address, limit: BlockManifest.largestEncodedSize
                ).bytes
                let manifest = try BlockManifest(decoding: bytes)
                guard Self.describes(manifest, video) else {
                    problems.append("\(holder.name) sent a manifest of other bytes")
                    continue
                }
                do {
                    _ = try await store.put(key, bytes: bytes, contentType: nil)
                } catch {
                    logger.warning("could not keep a peer's video's manifest", metadata: ["video.id": "\(video.id)", "error": "\(error)"])
                }
                remember(manifest, of: video.id)
                return manifest
            } catch {
                problems.append("\(holder.name): \(error)")
            }
        }
        throw PeerVideoUnavailable(
            video: video.id, problem: problems.isEmpty ? "no hub that holds it is reachable" : problems.joined(separator: "; "))
    }

    /// Where a peer's video's JPEG thumbnail is kept here, fetched from a holder the first time.
    public func keptThumbnail(of video: Video) async throws -> ObjectInfo {
        let key = try ObjectKey(CatalogueEntry.keptThumbnailKey(of: video.id))
        if let info = try? await store.head(key) { return info }
        var problems: [String] = []
        for holder in await holders(of: video) {
            do {
                let bytes = try await network.transport.fetch(
                    PeerMessage.ThumbnailRequest(video: video.id), from: holder.address, limit: PeerMessage.maxThumbnailBytes
                ).bytes
                // A JPEG starts with its SOI marker; anything else is not shown as one.
                guard bytes.readableBytesView.starts(with: [0xFF, 0xD8, 0xFF]) else {
                    problems.append("\(holder.name) sent a thumbnail that is not a JPEG")
                    continue
                }
                return try await store.put(key, bytes: bytes, contentType: "image/jpeg")
            } catch {
                problems.append("\(holder.name): \(error)")
            }
        }
        throw PeerVideoUnavailable(
            video: video.id, problem: problems.isEmpty ? "no hub that holds it is reachable" : problems.joined(separator: "; "))
    }

    /// Drops what is kept of a video that is no longer listed: its blocks, manifest and thumbnail.
    public func forget(_ video: VideoID) async {
        manifests.remove(video)
        await kept.release(video)
        do {
            let manifestKey = try ObjectKey(CatalogueEntry.keptManifestKey(of: video))
            if let kept = try? await store.contents(of: manifestKey, limit: BlockManifest.largestEncodedSize),
                let manifest = try? BlockManifest(decoding: kept)
            {
                await fetcher.cache.remove(manifest.blocks)
            }
            for key in [manifestKey, try ObjectKey(CatalogueEntry.keptThumbnailKey(of: video)), Self.pinKey(of: video)] {
                do {
                    try await store.delete(key)
                } catch ObjectStoreError.notFound {}
            }
        } catch {
            logger.warning("could not drop what was kept of a withdrawn video", metadata: ["video.id": "\(video)", "error": "\(error)"])
        }
    }

    private func remember(_ manifest: BlockManifest, of video: VideoID) {
        if manifest.blocks.count <= BlockManifest.largestCachedBlockCount { manifests.store(manifest, for: video) }
    }

    static func describes(_ manifest: BlockManifest, _ video: Video) -> Bool {
        manifest.sha256 == video.sha256 && manifest.size == video.sizeBytes
    }
}

/// A peer's video that no reachable hub could send (its holders are down, unknown, or sent
/// only bytes that failed verification): the hub answers 503, and the player may try again.
public struct PeerVideoUnavailable: DomainError {
    public var video: VideoID
    public var problem: String

    public var code: String { "peer_unavailable" }
    public var message: String { "video \(video) is held by peers, and none could send it now: \(problem)" }
}
