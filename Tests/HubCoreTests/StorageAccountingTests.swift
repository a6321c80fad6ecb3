import Foundation
import HubCore
import Synchronization
import Testing

/// The storage report's building blocks: what a key is, which day a byte belongs to, and the
/// tally that keeps counts a failed write could not store.
@Suite struct StorageAccountingTests {
    @Test(arguments: [
        ("videos/0a1b/source", StorageTier.originals), ("videos/0a1b/playable.mp4", .renditions),
        ("videos/0a1b/ladder/720p.mp4", .renditions), ("videos/0a1b/ladder/720p.m3u8", .renditions),
        ("videos/0a1b/thumbnail.jpg", .thumbnails), ("videos/0a1b/previews/3.jpg", .thumbnails),
        ("videos/0a1b/captions/en.vtt", .metadata), ("videos/0a1b/blocks", .metadata),
        ("blocks/ab/abcdef", .peerReplicas), ("peer-videos/0a1b/thumbnail", .peerReplicas),
        ("upload-42.tail-0", .uploadsInProgress), ("videos/0a1b", .other), ("videos/0a1b/source/x", .other), ("notes.txt", .other),
    ])
    func keysAreSortedIntoTiers(key: String, tier: StorageTier) {
        #expect(StorageTier(key: key) == tier)
    }

    @Test func aKeyUnderAVideoNamesIt() {
        #expect(StorageTier.videoID(ofKey: "videos/0a1b/ladder/720p.mp4") == "0a1b")
        #expect(StorageTier.videoID(ofKey: "videos/0a1b") == nil)
        #expect(StorageTier.videoID(ofKey: "blocks/ab/0a1b") == nil)
    }

    @Test(arguments: [
        (0.0, "1970-01-01"), (86_399.0, "1970-01-01"), (86_400.0, "1970-01-02"), (951_782_400.0, "2000-02-29"),
        (1_796_256_000.0, "2026-12-03"), (-1.0, "1969-12-31"), (4_107_542_400.0, "2100-03-01"),
    ])
    func daysAreUTCDates(seconds: Double, day: String) {
        #expect(TrafficDay(Date(timeIntervalSince1970: seconds)).rawValue == day)
    }

    @Test func aFailedWriteKeepsTheCountsForTheNext() async throws {
        let clock = SteppedClock(Date(timeIntervalSince1970: 1_796_256_000))
        let tally = TrafficTally(clock: clock)
        let repository = RecordingTraffic()
        tally.uploaded(1_000)
        tally.streamed(300)
        repository.failing.store(true, ordering: .relaxed)
        await #expect(throws: (any Error).self) { try await tally.flush(to: repository) }
        tally.streamed(200)
        clock.advance(by: 86_400)
        tally.sentToPeer(5)
        repository.failing.store(false, ordering: .relaxed)
        try await tally.flush(to: repository)
        #expect(repository.added.withLock { $0 } == [
            TrafficDay(Date(timeIntervalSince1970: 1_796_256_000)): TrafficCounts(uploadedBytes: 1_000, streamedBytes: 500),
            TrafficDay(Date(timeIntervalSince1970: 1_796_342_400)): TrafficCounts(peerSentBytes: 5),
        ])
        try await tally.flush(to: repository)
        #expect(repository.writes.load(ordering: .relaxed) == 1)
    }
}

/// Traffic written to memory, with a switch to fail.
private final class RecordingTraffic: TrafficRepository {
    let failing = Atomic(false)
    let added = Mutex<[TrafficDay: TrafficCounts]>([:])
    let writes = Atomic(0)

    func add(_ counts: [TrafficDay: TrafficCounts]) async throws {
        if failing.load(ordering: .relaxed) { throw DatabaseUnavailable(reason: "the test switched the database off") }
        writes.add(1, ordering: .relaxed)
        added.withLock { added in
            for (day, count) in counts { added[day, default: TrafficCounts()] = added[day, default: TrafficCounts()] + count }
        }
    }

    func totals(since: TrafficDay) async throws -> TrafficCounts { TrafficCounts() }
}

private final class SteppedClock: WallClock {
    private let current: Mutex<Date>
    init(_ start: Date) { current = Mutex(start) }
    func now() -> Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0.addTimeInterval(seconds) } }
}
