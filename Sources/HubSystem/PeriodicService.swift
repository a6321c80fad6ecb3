import Logging
import ServiceLifecycle

/// Work repeated on an interval beside the web server (sweeps, indexing, flushes), started and
/// stopped with it: graceful shutdown cancels the wait, lets the round in progress finish and
/// runs `atShutdown` once more, so whatever was buffered is written. A failed round is logged and
/// the next one tried; the service itself never fails the hub.
public struct PeriodicService: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let atStart: (@Sendable () async throws -> Void)?
    let round: @Sendable () async throws -> Void
    let atShutdown: (@Sendable () async -> Void)?

    /// `atStart` runs once before the first round, which runs at once; `atShutdown` once after
    /// the last.
    public init(
        _ name: String, every interval: Duration, logger: Logger, atStart: (@Sendable () async throws -> Void)? = nil,
        atShutdown: (@Sendable () async -> Void)? = nil, round: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.atStart = atStart
        self.round = round
        self.atShutdown = atShutdown
    }

    public func run() async throws {
        if let atStart {
            do {
                try await atStart()
            } catch {
                logger.warning("\(name) could not start cleanly", metadata: ["error": "\(error)"])
            }
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await round()
                } catch is CancellationError {
                    break  // shutting down: the round was cut short on purpose
                } catch {
                    logger.warning("\(name) failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
        await atShutdown?()
    }
}
