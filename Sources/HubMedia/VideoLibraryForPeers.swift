import HubCore
import NIOCore

/// The video library as the peer network sees it (`SharedLibrary`): the manifests and blocks of
/// shared videos stored here. The access rule lives here, next to the library, so a private
/// video cannot reach a peer by a route that forgot to ask.
public struct VideoLibraryForPeers: SharedLibrary {
    let videos: any VideoRepository
    let store: any ObjectStore
    /// Recently asked manifests: a peer fetching a video asks for its blocks one run at a time,
    /// and a video's bytes (so its manifest) never change. Only small ones are kept (up to 8,192
    /// blocks, 256 KiB: videos up to 128 GiB), so the cache holds at most 16 MiB.
    let recent = ExpiringCache<VideoID, BlockManifest>(lifetime: .seconds(300), capacity: 64)

    public init(videos: any VideoRepository, store: any ObjectStore) {
        self.videos = videos
        self.store = store
    }

    public func manifest(of id: VideoID) async throws -> BlockManifest? {
        // The access rule is asked every time; only the manifest's bytes are remembered.
        guard let video = try await sharedVideo(id) else { return nil }
        if let manifest = recent.value(for: id), manifest.sha256 == video.sha256 { return manifest }
        let stored: ByteBuffer
        do {
            stored = try await store.contents(of: VideoIngestor.manifestKey(of: id), limit: BlockManifest.largestEncodedSize)
        } catch ObjectStoreError.notFound {
            return nil  // made by the background walk soon
        }
        let manifest = try BlockManifest(decoding: stored)
        // A manifest vouches for the bytes peers will verify against; one that disagrees with the
        // video (a store restored from another backup) is not offered.
        guard manifest.sha256 == video.sha256, manifest.size == video.sizeBytes else { return nil }
        if manifest.blocks.count <= BlockManifest.largestCachedBlockCount { recent.store(manifest, for: id) }
        return manifest
    }

    public func bytes(ofBlocks blocks: ClosedRange<Int>, of id: VideoID, in manifest: BlockManifest) async throws -> ObjectByteStream? {
        guard let video = try await sharedVideo(id) else { return nil }
        let range = manifest.range(ofBlocks: blocks)
        return try await store.read(ObjectKey(video.storageKey), range: range)
    }

    public func thumbnail(of id: VideoID) async throws -> ObjectByteStream? {
        guard let video = try await sharedVideo(id), let key = video.thumbnailKey else { return nil }
        do {
            return try await store.read(ObjectKey(key), range: nil)
        } catch ObjectStoreError.notFound {
            return nil
        }
    }

    private func sharedVideo(_ id: VideoID) async throws -> Video? {
        guard let video = try await videos.find(id), video.isShared else { return nil }
        return video
    }
}
