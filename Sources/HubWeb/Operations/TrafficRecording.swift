import HubCore
import HubSync
import HubSystem
import Logging

/// Keeps the database's traffic by day (`TrafficRepository`) up to date: every few seconds, and
/// once more at shutdown, what this instance's `TrafficTally` counted is added to it, with the
/// bytes of blocks sent to peers since the last round (which the peer network counts as
/// totals of its own).
final class TrafficRecording: Sendable {
    let tally: TrafficTally
    let repository: any TrafficRepository
    let network: PeerNetwork?
    let logger: Logger
    private let peerBytesSent: ObservedTotal

    init(tally: TrafficTally, repository: any TrafficRepository, network: PeerNetwork?, logger: Logger) {
        self.tally = tally
        self.peerBytesSent = ObservedTotal(grew: { tally.sentToPeer(Int($0)) })
        self.repository = repository
        self.network = network
        self.logger = logger
    }

    static let interval: Duration = .seconds(5)

    func service() -> PeriodicService {
        PeriodicService(
            "recording traffic", every: Self.interval, logger: logger,
            atShutdown: {
                do {
                    try await self.record()
                } catch {
                    self.logger.warning("the last traffic counts could not be written", metadata: ["error": "\(error)"])
                }
            },
            round: { try await self.record() })
    }

    /// Adds what was counted since the last round to the database.
    func record() async throws {
        if let network { peerBytesSent.observe(network.metrics.snapshot(discoverySeconds: nil).blockBytesSent) }
        try await tally.flush(to: repository)
    }
}
