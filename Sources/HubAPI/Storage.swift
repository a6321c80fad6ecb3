import Foundation
import HubCore

/// `GET /api/v1/admin/storage` and `streamhub storage report`: what the store holds, whose it
/// is, what went in and out over the last 30 days, and what that costs a month at the
/// configured rates (`COST_*`).
public struct StorageReport: Codable, Sendable, Equatable {
    public struct TierUsage: Codable, Sendable, Equatable {
        public var backend: String
        public var tier: StorageTier
        public var bytes: Int64
        public var objects: Int

        public init(backend: String, tier: StorageTier, bytes: Int64, objects: Int) {
            self.backend = backend
            self.tier = tier
            self.bytes = bytes
            self.objects = objects
        }
    }

    public struct OwnerUsage: Codable, Sendable, Equatable {
        /// The account's name; nil for videos whose owner was deleted.
        public var owner: String?
        /// As a string, like every id the API shows (`UserID`'s own coding is an object).
        public var ownerId: String?
        public var videos: Int
        /// Every object of the owner's videos: originals, renditions, thumbnails, captions.
        public var bytes: Int64

        public init(owner: String?, ownerId: UserID?, videos: Int, bytes: Int64) {
            self.owner = owner
            self.ownerId = ownerId?.rawValue
            self.videos = videos
            self.bytes = bytes
        }
    }

    public struct VideoUsage: Codable, Sendable, Equatable {
        public var id: VideoID
        public var title: String
        public var owner: String?
        /// Every object of the video.
        public var bytes: Int64

        public init(id: VideoID, title: String, owner: String?, bytes: Int64) {
            self.id = id
            self.title = title
            self.owner = owner
            self.bytes = bytes
        }
    }

    public struct Traffic: Codable, Sendable, Equatable {
        /// The days counted, today included.
        public var days: Int
        public var uploadedBytes: Int64
        public var streamedBytes: Int64
        public var peerSentBytes: Int64
        /// Streamed and sent to peers: what a provider bills as transfer out.
        public var egressBytes: Int64

        public init(days: Int, counts: TrafficCounts) {
            self.days = days
            uploadedBytes = counts.uploadedBytes
            streamedBytes = counts.streamedBytes
            peerSentBytes = counts.peerSentBytes
            egressBytes = counts.egressBytes
        }
    }

    public struct Rates: Codable, Sendable, Equatable {
        public var storagePerGBMonth: Double
        public var egressPerGB: Double
        public var cdnPerGB: Double
        public var archivePerGBMonth: Double

        public init(_ rates: HubConfiguration.CostRates) {
            storagePerGBMonth = rates.storagePerGBMonth
            egressPerGB = rates.egressPerGB
            cdnPerGB = rates.cdnPerGB
            archivePerGBMonth = rates.archivePerGBMonth
        }
    }

    /// A month at the rates, in the rates' currency: what is stored now, and the last 30 days'
    /// egress either straight from the hub or through a CDN.
    public struct MonthlyCost: Codable, Sendable, Equatable {
        public var storage: Double
        public var archive: Double
        public var egress: Double
        public var total: Double
        /// The same egress through a CDN at `cdnPerGB`, and the total with it.
        public var egressThroughCDN: Double
        public var totalThroughCDN: Double

        public init(storedBytes: Int64, archivedBytes: Int64, egressBytes: Int64, over days: Int, rates: Rates) {
            let gigabyte = Double(1 << 30)
            // Thirty days of egress, from however many days were counted.
            let monthlyEgress = Double(egressBytes) / gigabyte * 30 / Double(max(days, 1))
            storage = Self.cents(Double(storedBytes) / gigabyte * rates.storagePerGBMonth)
            archive = Self.cents(Double(archivedBytes) / gigabyte * rates.archivePerGBMonth)
            egress = Self.cents(monthlyEgress * rates.egressPerGB)
            egressThroughCDN = Self.cents(monthlyEgress * rates.cdnPerGB)
            total = Self.cents(storage + archive + egress)
            totalThroughCDN = Self.cents(storage + archive + egressThroughCDN)
        }

        private static func cents(_ amount: Double) -> Double { (amount * 100).rounded() / 100 }
    }

    public var generatedAt: Date
    /// Where the videos are (`local`, `s3`).
    public var backend: String
    public var tiers: [TierUsage]
    public var totalBytes: Int64
    public var totalObjects: Int
    /// The accounts whose videos take the most room, largest first (at most 20).
    public var owners: [OwnerUsage]
    /// The videos that take the most room, largest first (at most 10).
    public var largestVideos: [VideoUsage]
    public var traffic: Traffic
    public var rates: Rates
    public var monthlyCost: MonthlyCost

    public init(
        generatedAt: Date, backend: String, tiers: [TierUsage], owners: [OwnerUsage], largestVideos: [VideoUsage], traffic: Traffic,
        rates: Rates
    ) {
        self.generatedAt = generatedAt
        self.backend = backend
        self.tiers = tiers
        self.totalBytes = tiers.reduce(0) { $0 &+ $1.bytes }
        self.totalObjects = tiers.reduce(0) { $0 &+ $1.objects }
        self.owners = owners
        self.largestVideos = largestVideos
        self.traffic = traffic
        self.rates = rates
        // Nothing is archived until the archive tier exists; every stored byte is at the
        // storage rate.
        self.monthlyCost = MonthlyCost(storedBytes: totalBytes, archivedBytes: 0, egressBytes: traffic.egressBytes, over: traffic.days, rates: rates)
    }
}

// MARK: - Schemas

extension StorageReport: DocumentedSchema {
    public static let schema = JSONSchema.object([
        "generatedAt": .dateTime(), "backend": .oneOf(["local", "s3"], "Where the videos are."),
        "tiers": .array(.object(["backend": .string(), "tier": .oneOf(StorageTier.self), "bytes": .count(), "objects": .count()])),
        "totalBytes": .count(), "totalObjects": .count(),
        "owners": .array(
            .object([
                "owner": JSONSchema.string("The account's name; absent when it was deleted.").optional, "ownerId": JSONSchema.uuid().optional,
                "videos": .count(), "bytes": .count(),
            ]), "The accounts whose videos take the most room, largest first.", maxItems: 20),
        "largestVideos": .array(
            .object(["id": .uuid(), "title": .string(), "owner": JSONSchema.string().optional, "bytes": .count()]), maxItems: 10),
        "traffic": .object(
            "The hub's own counters over the last days.",
            [
                "days": .integer(minimum: 1), "uploadedBytes": .count(), "streamedBytes": .count(), "peerSentBytes": .count(),
                "egressBytes": .count("Streamed and sent to peers: what a provider bills as transfer out."),
            ]),
        "rates": .object(
            "The `COST_*` settings.",
            ["storagePerGBMonth": .number(minimum: 0), "egressPerGB": .number(minimum: 0), "cdnPerGB": .number(minimum: 0), "archivePerGBMonth": .number(minimum: 0)]),
        "monthlyCost": .object(
            "A month at the rates: what is stored now, and the counted days' egress scaled to 30.",
            [
                "storage": .number(minimum: 0), "archive": .number(minimum: 0), "egress": .number(minimum: 0), "total": .number(minimum: 0),
                "egressThroughCDN": .number(minimum: 0), "totalThroughCDN": .number(minimum: 0),
            ]),
    ])
}

extension NoteAnalyticsReport: DocumentedSchema {
    public static let schemaName = "NoteAnalytics"
    public static let schema: JSONSchema = {
        let note = JSONSchema.object(["id": .uuid(), "title": .string(), "count": .count()])
        let search = JSONSchema.object(["query": .string(), "count": .count(), "lastResults": .count("Results of the latest such search.")])
        let day = JSONSchema.object([
            "day": .string("`YYYY-MM-DD`, UTC."), "views": .count(), "edits": .count(), "searches": .count(),
        ])
        return .object([
            "mostViewed": .array(note), "mostEdited": .array(note), "topTags": .array(.object(["term": .string(), "count": .count()])),
            "topSearches": .array(search), "unansweredSearches": .array(search, "Searches that found nothing."), "activity": .array(day),
            "totals": day,
        ])
    }()
}
