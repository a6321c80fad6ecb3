import Foundation
import HubAPI
import HubCore
import Hummingbird

/// The operator's pages, for admins. `/admin/operations`: what `OperationsHistory` kept of the
/// last hour (`?range=day`: day) drawn as charts, each dependency asked now, and the latest 5xx
/// answers with their request ids, to find in the log. `/admin/storage`: the storage report.
struct OperationsPageController: Sendable {
    let operations: HubOperations
    /// `HubServices.storageReport`.
    let storageReport: @Sendable () async throws -> StorageReport
    let renderer: PageRenderer

    func addRoutes(to pages: RouterGroup<SignedInPageContext>) {
        pages.get("admin/operations", use: page)
        pages.get("admin/storage", use: storage)
    }

    private func adminsOnly(_ context: SignedInPageContext) -> Response? {
        guard context.user.isAdmin else {
            return renderer.page(
                ErrorPage(pageTitle: "Admins only", heading: "Admins only", message: "Only an admin can see how the hub runs."),
                for: context.identity, status: .forbidden)
        }
        return nil
    }

    @Sendable func storage(_ request: Request, context: SignedInPageContext) async throws -> Response {
        if let refusal = adminsOnly(context) { return refusal }
        let report = try await storageReport()
        func money(_ amount: Double) -> String { String(format: "%.2f", amount) }
        let cost = report.monthlyCost
        let traffic = report.traffic
        let page = StoragePage(
            summary: "\(Format.bytes(report.totalBytes)) in \(report.totalObjects) objects on \(report.backend)",
            tiers: report.tiers.map { .init(name: $0.tier.rawValue, bytes: Format.bytes($0.bytes), count: "\($0.objects)") },
            owners: report.owners.map { .init(name: $0.owner ?? "(deleted account)", bytes: Format.bytes($0.bytes), count: "\($0.videos)") },
            videos: report.largestVideos.map {
                .init(name: $0.title, bytes: Format.bytes($0.bytes), count: $0.owner ?? "no owner", link: "/videos/\($0.id.rawValue)")
            },
            traffic: "Over the last \(traffic.days) days: \(Format.bytes(traffic.uploadedBytes)) uploaded, \(Format.bytes(traffic.egressBytes)) out "
                + "(\(Format.bytes(traffic.streamedBytes)) streamed, \(Format.bytes(traffic.peerSentBytes)) to peers).",
            cost: [
                .init(name: "storage", bytes: money(cost.storage), count: "what is stored now"),
                .init(name: "archive", bytes: money(cost.archive), count: "the archive tier"),
                .init(name: "egress", bytes: money(cost.egress), count: "the last 30 days' transfer out, straight from the hub"),
                .init(name: "total", bytes: money(cost.total), count: ""),
                .init(name: "total through a CDN", bytes: money(cost.totalThroughCDN), count: "the same egress at the CDN's rate"),
            ],
            rates: "At \(report.rates.storagePerGBMonth) per GB-month stored, \(report.rates.archivePerGBMonth) archived, "
                + "\(report.rates.egressPerGB) per GB out and \(report.rates.cdnPerGB) through a CDN (GB: 2^30 bytes).")
        return renderer.page(page, for: context.identity)
    }

    /// What each chart draws: its heading, its lines (series, name, style) and the unit of its
    /// latest value. Peers and the cache only where they are on.
    private func charts(peers: Bool, cache: Bool) -> [(String, [(OperationsHistory.Series, String, String)], String)] {
        var charts: [(String, [(OperationsHistory.Series, String, String)], String)] = [
            ("Requests per second", [(.requestsPerSecond, "requests", "ok"), (.serverErrorsPerSecond, "5xx answers", "bad")], "/s"),
            ("Request duration, mean (ms)", [(.requestMilliseconds, "duration", "ok")], " ms"),
            ("Throughput (MiB/s)", [(.streamMiBPerSecond, "streamed", "ok"), (.uploadMiBPerSecond, "uploaded", "other")], " MiB/s"),
            ("Stream time to first byte, mean (ms)", [(.firstByteMilliseconds, "first byte", "ok")], " ms"),
            ("Storage operations, mean (ms)", [(.storageMilliseconds, "operation", "ok")], " ms"),
            ("Storage errors per second", [(.storageErrorsPerSecond, "errors", "bad")], "/s"),
            ("Database statements, mean (ms)", [(.databaseMilliseconds, "statement", "ok")], " ms"),
            ("Processing queue depth", [(.queueDepth, "jobs", "ok")], ""),
        ]
        if peers { charts.append(("Peers alive", [(.peersAlive, "alive", "ok")], "")) }
        if cache { charts.append(("Disk cache hit ratio", [(.cacheHitRatio, "hit ratio", "ok")], "")) }
        return charts
    }

    @Sendable func page(_ request: Request, context: SignedInPageContext) async throws -> Response {
        if let refusal = adminsOnly(context) { return refusal }
        let lastDay = request.uri.queryParameters.get("range") == "day"
        let points = operations.history.points(lastDay: lastDay)
        let labels = points.map { Self.time($0.at) }
        let charts = charts(peers: points.contains { $0.values[.peersAlive] != nil }, cache: points.contains { $0.values[.cacheHitRatio] != nil })
            .enumerated().map { index, chart in
                let (heading, lines, unit) = chart
                let drawn = LineChart(
                    id: "operations-chart-\(index)", title: heading,
                    lines: lines.map { series, name, style in LineChart.Line(name: name, style: style, values: points.map { $0.values[series] }) },
                    labels: labels)
                let latest = lines.compactMap { series, name, _ in
                    points.last?.values[series].map { "\(name) \(LineChart.axisLabel($0))\(unit)" }
                }.joined(separator: ", ")
                return OperationsPage.Chart(
                    heading: heading, chartHTML: TrustedHTML(rendered: drawn.svg), keys: lines.map { OperationsPage.Key(name: $0.1, style: $0.2) },
                    latest: latest.isEmpty ? "no figure yet" : latest)
            }
        let sampledFor: String?
        if let first = points.first {
            let span = Date().timeIntervalSince(first.at)
            sampledFor = span < (lastDay ? 86_000 : 3_590) ? "Sampled for \(Format.duration(span)) since this instance started." : nil
        } else {
            sampledFor = "The first point comes \(lastDay ? "5 minutes" : "10 seconds") after this instance starts."
        }
        let dependencies = await operations.health().map { health in
            OperationsPage.Dependency(
                name: health.name, state: health.state.rawValue, detail: health.detail,
                milliseconds: health.milliseconds.map { String(format: "%.1f ms", $0) } ?? "")
        }
        let errors = operations.recentErrors.latest.map { entry in
            OperationsPage.Failure(
                at: entry.at.formatted(.iso8601), requestID: entry.requestID, request: "\(entry.method) \(entry.path)", status: entry.status,
                error: entry.error)
        }
        return renderer.page(
            OperationsPage(lastDay: lastDay, sampledFor: sampledFor, charts: charts, dependencies: dependencies, errors: errors,
                hasErrors: !errors.isEmpty), for: context.identity)
    }

    /// A point's time under the chart: hours and minutes in UTC, as the server's log has them.
    private static func time(_ date: Date) -> String {
        let format = Date.FormatStyle(timeZone: TimeZone(identifier: "UTC")!).hour(.twoDigits(amPM: .omitted)).minute()
        return date.formatted(format) + " UTC"
    }
}
