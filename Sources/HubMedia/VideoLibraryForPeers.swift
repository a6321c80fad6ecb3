import HubCore
import NIOCore

/// The video library as the peer network sees it (`SharedLibrary`): the manifests and blocks of
/// shared videos stored here. The access rule lives here, next to the library, so a private
/// video cannot reach a peer by a route that forgot to ask.
public struct VideoLibraryForPeers: SharedLibrary {
    let videos: any VideoRepository
    let store: any ObjectStore

    /// The largest manifest read (a 5 TiB video at 16 MiB blocks has 327,680 blocks: 10 MiB).
    static let largestManifestBytes = 16 << 20

    public init(videos: any VideoRepository, store: any ObjectStore) {
        self.videos = videos
        self.store = store
    }

    public func manifest(of id: VideoID) async throws -> BlockManifest? {
        guard let video = try await sharedVideo(id) else { return nil }
        let stored: ByteBuffer
        do {
            stored = try await store.contents(of: VideoIngestor.manifestKey(of: id), limit: Self.largestManifestBytes)
        } catch ObjectStoreError.notFound {
            return nil  // made by the background walk soon
        }
        let manifest = try BlockManifest(decoding: stored)
        // A manifest vouches for the bytes peers will verify against; one that disagrees with the
        // video (a store restored from another backup) is not offered.
        return manifest.sha256 == video.sha256 && manifest.size == video.sizeBytes ? manifest : nil
    }

    public func bytes(ofBlocks blocks: ClosedRange<Int>, of id: VideoID, in manifest: BlockManifest) async throws -> ObjectByteStream? {
        guard let video = try await sharedVideo(id) else { return nil }
        let range = manifest.range(ofBlock: blocks.lowerBound).lowerBound...manifest.range(ofBlock: blocks.upperBound).upperBound
        return try await store.read(ObjectKey(video.storageKey), range: range)
    }

    private func sharedVideo(_ id: VideoID) async throws -> Video? {
        guard let video = try await videos.find(id), video.isShared else { return nil }
        return video
    }
}
