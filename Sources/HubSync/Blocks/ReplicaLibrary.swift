import Foundation
import HubCore
import NIOCore
import Synchronization

/// The peers' videos this hub keeps whole (as a replica, or pinned by an admin), offered to other
/// peers as its own shared videos are: their manifests, blocks (from the block cache, verified as
/// they are read) and thumbnails. A video is offered only once every block is here, so a peer
/// that picks this hub as a holder is not sent to one that has half a copy.
public final class ReplicaLibrary: SharedLibrary {
    let cache: BlockCache
    let store: any ObjectStore
    /// Videos whose blocks are pinned, with their manifests; `whole` says which are complete.
    private let state = Mutex<(pinned: [VideoID: BlockManifest], whole: Set<VideoID>)>(([:], []))

    public init(cache: BlockCache, store: any ObjectStore) {
        self.cache = cache
        self.store = store
    }

    /// The videos kept whole, and their bytes.
    public var holding: (videos: Int, bytes: Int64) {
        state.withLock { state in (state.whole.count, state.whole.reduce(0) { $0 + (state.pinned[$1]?.size ?? 0) }) }
    }

    var pinnedVideos: [VideoID: BlockManifest] { state.withLock { $0.pinned } }

    func isWhole(_ video: VideoID) -> Bool { state.withLock { $0.whole.contains(video) } }

    /// Pins `video`'s blocks, once, before they are fetched, so none is evicted on the way.
    func pin(_ video: VideoID, _ manifest: BlockManifest) async {
        let first = state.withLock { state in
            defer { state.pinned[video] = manifest }
            return state.pinned[video] == nil
        }
        if first { await cache.pin(manifest.blocks) }
    }

    func markWhole(_ video: VideoID) {
        state.withLock { state in if state.pinned[video] != nil { state.whole.insert(video) } }
    }

    /// Stops keeping `video` whole: its blocks become ordinary cached blocks, evicted in turn.
    func release(_ video: VideoID) async {
        let manifest = state.withLock { state in
            state.whole.remove(video)
            return state.pinned.removeValue(forKey: video)
        }
        if let manifest { await cache.unpin(manifest.blocks) }
    }

    // MARK: - SharedLibrary

    public func manifest(of video: VideoID) async throws -> BlockManifest? {
        state.withLock { $0.whole.contains(video) ? $0.pinned[video] : nil }
    }

    public func bytes(ofBlocks blocks: ClosedRange<Int>, of video: VideoID, in manifest: BlockManifest) async throws -> ObjectByteStream? {
        guard try await self.manifest(of: video) != nil else { return nil }
        let cursor = Mutex(blocks.lowerBound)
        let range = manifest.range(ofBlocks: blocks)
        let info = ObjectInfo(key: try ObjectKey(CatalogueEntry.keptManifestKey(of: video)), size: manifest.size, modifiedAt: .distantPast)
        return ObjectByteStream(info: info, count: range.upperBound - range.lowerBound + 1) { [cache, self] in
            let index: Int? = cursor.withLock { next in
                guard next <= blocks.upperBound else { return nil }
                defer { next += 1 }
                return next
            }
            guard let index else { return nil }
            guard let block = try await cache.block(manifest.blocks[index]) else {
                // Lost or rotten on disk (the cache dropped it): no longer whole until the
                // replica keeper's next round fetches it again.
                _ = self.state.withLock { $0.whole.remove(video) }
                throw PeerUnanswered("block \(index) of video \(video) is no longer kept here")
            }
            return block
        }
    }

    public func thumbnail(of video: VideoID) async throws -> ObjectByteStream? {
        guard try await manifest(of: video) != nil else { return nil }
        do {
            return try await store.read(ObjectKey(CatalogueEntry.keptThumbnailKey(of: video)), range: nil)
        } catch ObjectStoreError.notFound {
            return nil
        }
    }
}

/// Several libraries offered to peers as one: the first that holds a video answers for it.
public struct CombinedLibrary: SharedLibrary {
    let libraries: [any SharedLibrary]

    public init(_ libraries: [any SharedLibrary]) { self.libraries = libraries }

    public func manifest(of video: VideoID) async throws -> BlockManifest? {
        for library in libraries { if let manifest = try await library.manifest(of: video) { return manifest } }
        return nil
    }

    public func bytes(ofBlocks blocks: ClosedRange<Int>, of video: VideoID, in manifest: BlockManifest) async throws -> ObjectByteStream? {
        for library in libraries { if let bytes = try await library.bytes(ofBlocks: blocks, of: video, in: manifest) { return bytes } }
        return nil
    }

    public func thumbnail(of video: VideoID) async throws -> ObjectByteStream? {
        for library in libraries { if let bytes = try await library.thumbnail(of: video) { return bytes } }
        return nil
    }
}
