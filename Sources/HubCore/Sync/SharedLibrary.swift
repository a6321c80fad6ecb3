/// What the peer network may take from the video library, and all it may: the manifest and the
/// blocks of shared videos this hub holds whole. A private video is never offered, whoever asks
/// and however they name it: to a peer it does not exist. `VideoLibraryForPeers` (HubMedia) is
/// the real one.
public protocol SharedLibrary: Sendable {
    /// The manifest of `video`, or nil when it is not a shared video held here, or has no
    /// manifest yet (stored before manifests, and not reached by the background walk yet).
    func manifest(of video: VideoID) async throws -> BlockManifest?
    /// The bytes of the blocks `blocks` of `video`, in order, read as the caller consumes them;
    /// nil when `manifest(of:)` is. The run lies within the manifest (the caller checks it).
    func bytes(ofBlocks blocks: ClosedRange<Int>, of video: VideoID, in manifest: BlockManifest) async throws -> ObjectByteStream?
    /// The JPEG thumbnail of a shared video held here, or nil (no such video, not shared, or
    /// no thumbnail: ffmpeg was missing or could not read it).
    func thumbnail(of video: VideoID) async throws -> ObjectByteStream?
}
