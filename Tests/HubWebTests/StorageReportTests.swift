import Foundation
import HTTPTypes
import HubAPI
import HubCore
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import HubWeb

/// `GET /api/v1/admin/storage`: the store's bytes by tier, by owner and by video, the traffic
/// the hub counted, and the month's cost at the configured rates, on a library of known sizes.
@Suite struct StorageReportTests {
    @Test func theReportAddsUpAKnownLibrary() async throws {
        // Rates high enough that a few hundred kilobytes cost whole cents.
        let hub = try TestHub(environment: [
            "COST_STORAGE_PER_GB_MONTH": "1000", "COST_EGRESS_PER_GB": "500", "COST_CDN_PER_GB": "250", "COST_ARCHIVE_PER_GB_MONTH": "1",
        ])
        try await hub.test { client in
            let member = try await TusRequests(client: client).upload(fakeMP4(size: 300_000, seed: 1), chunk: 100_000)
            let memberVideo = try #require(member.headers[.videoID])
            let admin = try await TusRequests(client: client.admin).upload(fakeMP4(size: 120_000, seed: 2), chunk: 120_000)
            let adminVideo = try #require(admin.headers[.videoID])
            _ = try await hub.processed(memberVideo)
            _ = try await hub.processed(adminVideo)
            let stream = try await client.execute(uri: "/api/v1/videos/\(memberVideo)/stream", method: .get, headers: [.range: "bytes=0-49999"])
            #expect(stream.status == .partialContent)

            let answer = try await client.admin.execute(uri: "/api/v1/admin/storage", method: .get)
            #expect(answer.status == .ok)
            let report = try answer.decode(StorageReport.self)
            #expect(report.backend == "local")
            let originals = try #require(report.tiers.first { $0.tier == .originals })
            #expect(originals.bytes == 420_000 && originals.objects == 2)
            // The block manifests: metadata, not originals.
            #expect(report.tiers.first { $0.tier == .metadata }?.objects == 2)
            #expect(report.totalBytes == report.tiers.reduce(0) { $0 + $1.bytes })
            #expect(report.owners.map(\.owner) == ["member", "admin"])
            #expect(report.owners.map(\.videos) == [1, 1])
            #expect(report.owners[0].bytes >= 300_000 && report.owners[1].bytes >= 120_000)
            #expect(report.largestVideos.map(\.id.rawValue) == [memberVideo, adminVideo])
            #expect(report.largestVideos[0].owner == "member")
            #expect(report.traffic.days == 30)
            #expect(report.traffic.uploadedBytes == 420_000)
            #expect(report.traffic.streamedBytes == 50_000 && report.traffic.egressBytes == 50_000)

            let gigabyte = Double(1 << 30)
            let cents = { (amount: Double) in (amount * 100).rounded() / 100 }
            #expect(report.rates.storagePerGBMonth == 1000)
            #expect(report.monthlyCost.storage == cents(Double(report.totalBytes) / gigabyte * 1000))
            #expect(report.monthlyCost.egress == cents(50_000 / gigabyte * 500))
            #expect(report.monthlyCost.egressThroughCDN == cents(50_000 / gigabyte * 250))
            #expect(report.monthlyCost.archive == 0)
            #expect(report.monthlyCost.total == cents(report.monthlyCost.storage + report.monthlyCost.egress))
            #expect(report.monthlyCost.storage > 0.3)

            // The same report as the admin's page.
            let page = try await client.admin.execute(uri: "/admin/storage", method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(#"<tr data-tier="originals"><td>originals</td><td>410.2 KiB</td><td>2</td></tr>"#))
            #expect(html.contains(#"<a href="/videos/\#(memberVideo)">"#))
            #expect(html.contains(String(format: "%.2f", report.monthlyCost.total)))
            #expect(try await client.execute(uri: "/admin/storage", method: .get).status == .forbidden)
        }
    }

    @Test func adminsAskingAtOnceShareOneWalk() async throws {
        let shared = SharedStorageReport()
        let walks = NIOLockedValueBox(0)
        let report = StorageReport(
            generatedAt: Date(), backend: "local", tiers: [], owners: [], largestVideos: [],
            traffic: .init(days: 30, counts: TrafficCounts()), rates: .init(HubConfiguration.CostRates()))
        try await withThrowingTaskGroup(of: StorageReport.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    try await shared.report {
                        walks.withLockedValue { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(300))
                        return report
                    }
                }
            }
            for try await answer in group { #expect(answer == report) }
        }
        #expect(walks.withLockedValue { $0 } == 1)
        // Once it is done, the next asks for a walk of its own.
        _ = try await shared.report {
            walks.withLockedValue { $0 += 1 }
            return report
        }
        #expect(walks.withLockedValue { $0 } == 2)
    }

    @Test func onlyAdminsReadIt() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let member = try await client.execute(uri: "/api/v1/admin/storage", method: .get)
            #expect(member.status == .forbidden)
            #expect(member.errorCode == "admin_only")
            let anonymous = try await client.anonymous.execute(uri: "/api/v1/admin/storage", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }
}
