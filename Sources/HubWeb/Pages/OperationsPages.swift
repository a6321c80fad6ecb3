import Foundation

/// `/admin/operations`: the hub's figures over the last hour or day as charts, each
/// dependency's health, and the latest errors.
struct OperationsPage: PageView {
    static let template = "operations"

    struct Chart: Sendable {
        var heading: String
        var chartHTML: TrustedHTML
        /// The lines' names, for the key under the chart.
        var keys: [Key]
        /// The latest value, as text.
        var latest: String
    }

    struct Key: Sendable {
        var name: String
        var style: String
    }

    struct Dependency: Sendable {
        var name: String
        var state: String
        var detail: String
        var milliseconds: String
    }

    struct Failure: Sendable {
        var at: String
        var requestID: String
        var request: String
        var status: Int
        var error: String
    }

    var pageTitle = "Operations"
    var lastDay: Bool
    /// How long the hub has sampled, when it is less than the range shown.
    var sampledFor: String?
    var charts: [Chart]
    var dependencies: [Dependency]
    var errors: [Failure]
    /// Stored, for the template (which reads stored properties only).
    var hasErrors: Bool
}

/// `/admin/storage`: the storage report (`StorageReport`) as a page.
struct StoragePage: PageView {
    static let template = "storage"

    struct Row: Sendable {
        var name: String
        var bytes: String
        var count: String
        var link: String?
    }

    var pageTitle = "Storage"
    var summary: String
    var tiers: [Row]
    var owners: [Row]
    var videos: [Row]
    var traffic: String
    var cost: [Row]
    var rates: String
}
