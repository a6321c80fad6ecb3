import Foundation
import HubCore
import HubMedia
import HubStorage
import HubSync
import HubSystem
import Logging

/// What an operator sees of a running hub, beside `/metrics`: the figures sampled into the last
/// hour and day (`OperationsHistory`), the health of each dependency, and the latest errors.
/// One per hub; `/metrics`, the operations page and the sampler share it.
public final class HubOperations: Sendable {
    struct DependencyHealth: Sendable, Equatable {
        enum State: String, Sendable { case ok, failing, off }
        var name: String
        var state: State
        var detail: String
        /// How long the check took; nil when nothing was asked.
        var milliseconds: Double?
    }

    let telemetry: HubTelemetry
    let figures: ScrapedFigures
    let recentErrors: RecentErrors
    let storageReports = SharedStorageReport()
    private let videos: VideoService
    private let jobs: any MediaJobQueue
    private let network: PeerNetwork?
    private let media: any MediaProcessor
    private let clock: any WallClock

    init(telemetry: HubTelemetry, videos: VideoService, jobs: any MediaJobQueue, network: PeerNetwork?, media: any MediaProcessor, clock: any WallClock) {
        self.telemetry = telemetry
        self.figures = ScrapedFigures(telemetry.metrics)
        self.recentErrors = RecentErrors(clock: clock)
        self.videos = videos
        self.jobs = jobs
        self.network = network
        self.media = media
        self.clock = clock
    }

    var history: OperationsHistory { telemetry.history }

    /// Reads the figures their owners keep as totals or current values into the metrics.
    func refreshFigures() async {
        let cache = await (videos.store as? CachedObjectStore)?.statistics
        // A database that does not answer leaves the depth at its last reading rather than
        // failing the scrape: the other figures are what an operator needs to see then.
        let depth = try? await jobs.depth()
        figures.sample(cache: cache, queueDepth: depth, network: await network?.status())
    }

    /// Samples the figures every 10 s into the last hour and day.
    func sampler(logger: Logger) -> PeriodicService {
        PeriodicService("sampling the operations figures", every: .seconds(Int64(OperationsHistory.hourStep)), logger: logger) {
            await self.refreshFigures()
            self.history.sample(at: self.clock.now())
        }
    }

    /// Each dependency, asked now: the database and the store answer, the peers are reachable,
    /// ffmpeg is there.
    func health() async -> [DependencyHealth] {
        func timed(_ name: String, _ check: () async throws -> String) async -> DependencyHealth {
            let start = ContinuousClock.now
            do {
                let detail = try await check()
                return DependencyHealth(name: name, state: .ok, detail: detail, milliseconds: Self.milliseconds(since: start))
            } catch {
                return DependencyHealth(name: name, state: .failing, detail: String("\(error)".prefix(300)), milliseconds: Self.milliseconds(since: start))
            }
        }
        var checks = [
            await timed("database") {
                try await videos.ping()
                return "answers"
            },
            await timed("store") {
                try await videos.store.checkHealth()
                return "answers"
            },
        ]
        if let network {
            let peers = await network.status().peers
            let alive = peers.filter { $0.state == .alive }.count
            checks.append(
                DependencyHealth(
                    name: "peers", state: peers.isEmpty || alive > 0 ? .ok : .failing,
                    detail: peers.isEmpty ? "none known yet" : "\(alive) of \(peers.count) alive", milliseconds: nil))
        } else {
            checks.append(DependencyHealth(name: "peers", state: .off, detail: "P2P_ENABLED is false", milliseconds: nil))
        }
        checks.append(
            media is NoMediaProcessor
                ? DependencyHealth(name: "ffmpeg", state: .off, detail: "ffmpeg and ffprobe are not on PATH: uploads are kept as they came", milliseconds: nil)
                : DependencyHealth(name: "ffmpeg", state: .ok, detail: "on PATH", milliseconds: nil))
        return checks
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - start).components
        return Double(elapsed.seconds) * 1_000 + Double(elapsed.attoseconds) / 1e15
    }
}
