/// What an object in the store is, by its key: the storage report's tiers. The keys are the
/// hub's own layout (`videos/{id}/source`, `videos/{id}/ladder/720p.mp4`, `blocks/ab/…`), so
/// a listing of the store is enough to say what its bytes are for.
public enum StorageTier: String, CaseIterable, Codable, Sendable {
    /// Uploaded files, kept as they came.
    case originals
    /// What processing made to play: the browser-safe rendition and the adaptive ladder.
    case renditions
    /// Thumbnails and seek preview sheets.
    case thumbnails
    /// Captions and block manifests.
    case metadata
    /// Blocks of peers' shared videos (the block cache, replicas and pins) and what is kept of
    /// their videos here.
    case peerReplicas
    /// Parts of uploads still in progress (on S3).
    case uploadsInProgress
    /// Anything else under the store's root.
    case other

    public init(key: String) {
        if key.hasPrefix("blocks/") || key.hasPrefix("peer-videos/") {
            self = .peerReplicas
            return
        }
        if key.hasPrefix("upload-") {
            self = .uploadsInProgress
            return
        }
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "videos" else {
            self = .other
            return
        }
        self = switch (parts[2], parts.count) {
        case ("source", 3): .originals
        case ("ladder", _), ("playable.mp4", 3): .renditions
        case ("thumbnail.jpg", 3), ("previews", _): .thumbnails
        case ("captions", _), ("blocks", 3): .metadata
        default: .other
        }
    }

    /// The video a key under `videos/{id}/` belongs to.
    public static func videoID(ofKey key: String) -> Substring? {
        guard key.hasPrefix("videos/") else { return nil }
        let rest = key.dropFirst("videos/".count)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return rest[..<slash]
    }
}
