import HubCore
import HubSystem
import Logging
import NIOCore

/// Block manifests for videos stored before ingest made them (or whose manifest was lost): each
/// round walks the library, and a video without one is read once, hashed block by block, checked
/// against its recorded SHA-256 and given its manifest. A video whose bytes no longer match its
/// digest gets none: its manifest would vouch for corrupt blocks to every peer, so it is logged
/// for the operator instead.
public struct ManifestBackfill: Sendable {
    let videos: any VideoRepository
    let store: any ObjectStore
    let logger: Logger

    public init(videos: any VideoRepository, store: any ObjectStore, logger: Logger) {
        self.videos = videos
        self.store = store
        self.logger = logger
    }

    /// What a round did.
    public struct Outcome: Sendable, Equatable {
        public var made = 0
        /// Videos whose stored bytes differ from their recorded digest, or are missing.
        public var damaged: [VideoID] = []

        public init(made: Int = 0, damaged: [VideoID] = []) {
            self.made = made
            self.damaged = damaged
        }
    }

    /// One walk over the library, a page at a time, newest first.
    public func round() async throws -> Outcome {
        var outcome = Outcome()
        var offset = 0
        while true {
            try Task.checkCancellation()
            let page = try await videos.list(query: nil, visibility: .everything, offset: offset, limit: 200)
            for video in page.items where try await lacksManifest(video) {
                do {
                    try await makeManifest(for: video)
                    outcome.made += 1
                } catch let error as Damage {
                    logger.error("a stored video does not match its digest; it gets no block manifest", metadata: ["video.id": "\(video.id)", "problem": "\(error.problem)"])
                    outcome.damaged.append(video.id)
                }
            }
            offset += page.items.count
            if page.items.isEmpty || offset >= page.total { break }
        }
        if outcome.made > 0 { logger.info("made block manifests for stored videos", metadata: ["count": "\(outcome.made)"]) }
        return outcome
    }

    /// Rounds at start-up and then hourly: after the first, there is work only when a manifest
    /// was lost or ingest failed to store one.
    public func service() -> PeriodicService {
        PeriodicService("making block manifests", every: .seconds(3600), logger: logger) { _ = try await round() }
    }

    private func lacksManifest(_ video: Video) async throws -> Bool {
        do {
            _ = try await store.head(VideoIngestor.manifestKey(of: video.id))
            return false
        } catch ObjectStoreError.notFound {
            return true
        }
    }

    private struct Damage: Error { var problem: String }

    private func makeManifest(for video: Video) async throws {
        let bytes: ObjectByteStream
        do {
            bytes = try await store.read(ObjectKey(video.storageKey), range: nil)
        } catch ObjectStoreError.notFound {
            throw Damage(problem: "its bytes are missing")
        }
        var hasher = ContentHasher(expectedSize: bytes.count)
        // Hashed on this task a chunk at a time (tens of microseconds each), which yields between
        // chunks: a background walk, never on an event loop.
        for try await chunk in bytes { chunk.withUnsafeReadableBytes { hasher.update($0) } }
        let digest = try hasher.finalize()
        guard digest.sha256 == video.sha256, digest.size == video.sizeBytes else {
            throw Damage(problem: "SHA-256 \(digest.sha256) and \(digest.size) bytes, recorded \(video.sha256) and \(video.sizeBytes)")
        }
        _ = try await store.put(VideoIngestor.manifestKey(of: video.id), bytes: digest.manifest.encoded(), contentType: nil)
    }
}
