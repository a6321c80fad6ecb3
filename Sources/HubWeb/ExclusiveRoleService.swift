import HubCore
import Logging
import ServiceLifecycle

/// Runs services that one instance of a deployment runs at a time, on the instance that holds
/// their `ExclusiveRole`; the others keep claiming it, and when the holder dies or loses its
/// database connection one of them takes over within `retry`.
///
/// - The peer network: the deployment is one node to its peers (one node id, kept in the
///   database), and two instances answering them at once would be two voices for one node.
/// - The notes' file mirror: one writer for `NOTEPAD_STORAGE_PATH`, which mirrors every
///   instance's edits.
///
/// A hub on SQLite is one process and runs such services directly, without this.
struct ExclusiveRoleService: Service {
    let role: ExclusiveRole
    let services: [any Service]
    let claims: any RoleClaims
    /// Told when this instance takes the role up and when it lets it go.
    var holding: @Sendable (Bool) async -> Void = { _ in }
    var retry: Duration = .seconds(2)
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                if let lease = try await claims.claim(role) {
                    await hold(lease)
                }
            } catch {
                logger.warning("could not claim a role", metadata: ["role": "\(role)", "error": "\(error)"])
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
        logger.info("this instance took up a role for the deployment", metadata: ["role": "\(role)"])
        await holding(true)
        let lost = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await withThrowingTaskGroup(of: Void.self) { services in
                        for service in self.services { services.addTask { try await service.run() } }
                        try await services.waitForAll()
                    }
                } catch {
                    logger.warning("a role's services stopped", metadata: ["role": "\(role)", "error": "\(error)"])
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
        await holding(false)
        await lease.release()
        if lost { logger.warning("this instance lost a role to another (its database connection dropped)", metadata: ["role": "\(role)"]) }
    }
}
