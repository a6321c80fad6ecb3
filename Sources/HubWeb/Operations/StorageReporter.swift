import Foundation
import HubAPI
import HubCore

/// Builds the storage report from the store itself, so it counts what is there rather than
/// what the database believes: one walk over every object (a page of keys and sizes at a time,
/// each key's tier read from the hub's key layout), the videos' titles and owners from the
/// database, and the traffic by day the instances recorded.
struct StorageReporter: Sendable {
    let store: any ObjectStore
    let videos: any VideoRepository
    let accounts: any AccountRepository
    let traffic: any TrafficRepository
    let backend: String
    let rates: HubConfiguration.CostRates
    let clock: any WallClock

    static let trafficDays = 30
    static let owners = 20
    static let largestVideos = 10

    func report() async throws -> StorageReport {
        var tiers: [StorageTier: (bytes: Int64, objects: Int)] = [:]
        var bytesByVideo: [Substring: Int64] = [:]
        for try await object in store.objects() {
            let key = object.key.rawValue
            tiers[StorageTier(key: key), default: (0, 0)].bytes &+= object.size
            tiers[StorageTier(key: key), default: (0, 0)].objects += 1
            if let video = StorageTier.videoID(ofKey: key) { bytesByVideo[video, default: 0] &+= object.size }
        }

        var owners: [UserID?: (videos: Int, bytes: Int64)] = [:]
        var sized: [(video: Video, bytes: Int64)] = []
        var last: VideoID?
        while true {
            let batch = try await videos.videos(after: last, limit: 500)
            for video in batch {
                let bytes = bytesByVideo[Substring(video.id.rawValue)] ?? 0
                owners[video.ownerID, default: (0, 0)].videos += 1
                owners[video.ownerID, default: (0, 0)].bytes &+= bytes
                sized.append((video, bytes))
            }
            guard batch.count == 500, let next = batch.last?.id else { break }
            last = next
        }
        let names = Dictionary(try await accounts.users().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })

        let now = clock.now()
        let since = TrafficDay(now.addingTimeInterval(-Double(Self.trafficDays - 1) * 86_400))
        let counted = try await traffic.totals(since: since)
        return StorageReport(
            generatedAt: now, backend: backend,
            tiers: StorageTier.allCases.compactMap { tier in
                tiers[tier].map { StorageReport.TierUsage(backend: backend, tier: tier, bytes: $0.bytes, objects: $0.objects) }
            },
            owners: owners.sorted { $0.value.bytes > $1.value.bytes }.prefix(Self.owners).map { owner, usage in
                StorageReport.OwnerUsage(owner: owner.flatMap { names[$0] }, ownerId: owner, videos: usage.videos, bytes: usage.bytes)
            },
            largestVideos: sized.sorted { $0.bytes > $1.bytes }.prefix(Self.largestVideos).map { video, bytes in
                StorageReport.VideoUsage(id: video.id, title: video.title, owner: video.ownerID.flatMap { names[$0] }, bytes: bytes)
            },
            traffic: StorageReport.Traffic(days: Self.trafficDays, counts: counted), rates: StorageReport.Rates(rates))
    }
}

/// One walk at a time: a report of a large store takes a while, so admins asking at once (or a
/// page reloaded while it loads) share the walk in progress instead of each starting another.
actor SharedStorageReport {
    private var running: Task<StorageReport, any Error>?

    func report(_ make: @escaping @Sendable () async throws -> StorageReport) async throws -> StorageReport {
        if let running { return try await running.value }
        let task = Task { try await make() }
        running = task
        defer { running = nil }
        return try await task.value
    }
}

extension HubServices {
    /// The storage report (`GET /api/v1/admin/storage`, `streamhub storage report`), with this
    /// instance's latest traffic counts written first.
    public func storageReport() async throws -> StorageReport {
        let (dependencies, configuration, traffic) = (dependencies, configuration, traffic)
        return try await operations.storageReports.report {
            try await traffic.flush(to: dependencies.repositories.traffic)
            return try await StorageReporter(
                store: dependencies.store, videos: dependencies.repositories.videos, accounts: dependencies.repositories.accounts,
                traffic: dependencies.repositories.traffic, backend: configuration.storageBackend.rawValue, rates: configuration.costs,
                clock: dependencies.clock
            ).report()
        }
    }
}
