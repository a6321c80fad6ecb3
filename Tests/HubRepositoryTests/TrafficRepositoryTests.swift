import Foundation
import HubCore
import HubTestSupport
import Testing

/// Traffic by day, the same on every database: added to, never overwritten, summed from a day.
@Suite struct TrafficRepositoryTests {
    @Test(arguments: TestDatabase.allCases)
    func countsAddUpByDayAndSumFromADay(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let traffic = repositories.traffic
            let day = { (text: String) in TrafficDay(ISO8601DateFormatter().date(from: "\(text)T12:00:00Z")!) }
            #expect(try await traffic.totals(since: day("2026-01-01")) == TrafficCounts())
            try await traffic.add([day("2026-11-30"): TrafficCounts(uploadedBytes: 100, streamedBytes: 10, peerSentBytes: 1)])
            // Two instances adding to one day: both counts stay.
            try await traffic.add([
                day("2026-11-30"): TrafficCounts(uploadedBytes: 5, streamedBytes: 0, peerSentBytes: 0),
                day("2026-12-01"): TrafficCounts(uploadedBytes: 0, streamedBytes: 1 << 40, peerSentBytes: 7),
            ])
            #expect(try await traffic.totals(since: day("2026-11-01")) == TrafficCounts(uploadedBytes: 105, streamedBytes: 10 + 1 << 40, peerSentBytes: 8))
            #expect(try await traffic.totals(since: day("2026-12-01")) == TrafficCounts(uploadedBytes: 0, streamedBytes: 1 << 40, peerSentBytes: 7))
            #expect(try await traffic.totals(since: day("2026-12-02")) == TrafficCounts())
        }
    }
}
