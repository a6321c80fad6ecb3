import HubCore
import Logging
import ServiceLifecycle

/// Runs the peer network's services (its listener, gossip, anti-entropy, discovery) on the one
/// instance of a deployment that holds `ExclusiveRole.peerNetwork`. The deployment is one node to
/// its peers (one node id, kept in the database), so two instances answering them at once would
/// be two voices for one node. The others keep claiming: when the holder dies or loses its
/// database connection, one of them takes over within `retry`.
///
/// A hub on SQLite is one process and runs the services directly, without this.
struct PeerNetworkRole: Service {
    let services: [any Service]
    let claims: any RoleClaims
    var retry: Duration = .seconds(2)
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                if let lease = try await claims.claim(.peerNetwork) {
                    await hold(lease)
                }
            } catch {
                logger.warning("could not claim the peer network", metadata: ["error": "\(error)"])
            }
            // In short steps, so a graceful shutdown does not wait out the retry.
            let until = ContinuousClock.now.advanced(by: retry)
            while ContinuousClock.now < until, !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Runs the services until they stop (a graceful shutdown) or the lease is lost.
    private func hold(_ lease: any Lease) async {
        logger.info("this instance runs the peer network for the deployment")
        let lost = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { services in
                        for service in self.services { services.addTask { try await service.run() } }
                        try await services.waitForAll()
                    }
                } catch {
                    logger.warning("the peer network stopped", metadata: ["error": "\(error)"])
                }
                return false
            }
            group.addTask {
                while !Task.isCancelled {
                    if await !lease.isHeld() { return true }
                    try? await Task.sleep(for: .seconds(1))
                }
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        await lease.release()
        if lost { logger.warning("this instance lost the peer network to another (its database connection dropped)") }
    }
}
