import HTTPTypes
import HubCore
import HubMedia
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import HubWeb

/// Videos stored before ingest made block manifests get them from the background walk, equal to
/// what ingest would have made; a video whose bytes no longer match its digest gets none.
@Suite struct ManifestBackfillTests {
    @Test func videosWithoutAManifestGetTheOneIngestWouldHaveMade() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            func upload(_ bytes: [UInt8]) async throws -> VideoID {
                try #require(VideoID(try await tus.upload(bytes).headers[.videoID] ?? ""))
            }
            let intact = try await upload(fakeMP4(size: 400_000))
            let damaged = try await upload(fakeMP4(size: 300_000, seed: 3))
            let untouched = try await upload(fakeMP4(size: 200_000, seed: 5))
            let store = hub.services.videos.store
            let original = try await store.contents(of: VideoIngestor.manifestKey(of: intact), limit: 1 << 20)
            for id in [intact, damaged] { try await store.delete(VideoIngestor.manifestKey(of: id)) }
            // A flipped byte in the stored bytes of the second: its digest no longer holds.
            let source = try #require(try await hub.services.videos.repository.find(damaged)).storageKey
            var bytes = fakeMP4(size: 300_000, seed: 3)
            bytes[150_000] ^= 0xff
            _ = try await store.put(ObjectKey(source), bytes: ByteBuffer(bytes: bytes), contentType: nil)

            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let backfill = ManifestBackfill(videos: hub.services.videos.repository, store: store, logger: logger)
            let outcome = try await backfill.round()
            #expect(outcome.made == 1)
            #expect(outcome.damaged == [damaged])
            #expect(try await store.contents(of: VideoIngestor.manifestKey(of: intact), limit: 1 << 20) == original)
            await #expect(throws: ObjectStoreError.self) { try await store.head(VideoIngestor.manifestKey(of: damaged)) }
            _ = try await store.head(VideoIngestor.manifestKey(of: untouched))

            // The next round finds nothing to make and reports the damage again.
            #expect(try await backfill.round() == ManifestBackfill.Outcome(made: 0, damaged: [damaged]))
        }
    }
}
