import Foundation
import Synchronization

/// The peer network's counters and recent propagation lags, for `/metrics` and the Peers page.
public final class SyncMetrics: Sendable {
    public struct Snapshot: Codable, Sendable, Equatable {
        /// Seconds from start until a peer first answered.
        public var discoverySeconds: Double?
        public var batchesSent = 0
        public var batchesReceived = 0
        public var changesSent = 0
        public var changesApplied = 0
        public var conflicts = 0
        /// Peer requests refused (signature, time, replay) and peer changes refused (rules).
        public var refused = 0
        /// Requests to peers that failed (unreachable, refused, timed out).
        public var failures = 0
        /// How long changes took from their stamp to being merged here: the latest, the
        /// median and the 99th percentile of the last 1,000.
        public var lagSeconds: Double?
        public var lagP50Seconds: Double?
        public var lagP99Seconds: Double?

        public init() {}
    }

    private struct State {
        var snapshot = Snapshot()
        var lags: [Double] = []
    }

    private let state = Mutex(State())

    public init() {}

    func update(_ body: (inout Snapshot) -> Void) {
        state.withLock { body(&$0.snapshot) }
    }

    func recordLag(_ seconds: Double) {
        state.withLock { state in
            state.snapshot.lagSeconds = seconds
            state.lags.append(seconds)
            if state.lags.count > 1_000 { state.lags.removeFirst(state.lags.count - 1_000) }
        }
    }

    public func snapshot(discoverySeconds: Double?) -> Snapshot {
        state.withLock { state in
            var snapshot = state.snapshot
            snapshot.discoverySeconds = discoverySeconds
            let sorted = state.lags.sorted()
            if !sorted.isEmpty {
                snapshot.lagP50Seconds = sorted[sorted.count / 2]
                snapshot.lagP99Seconds = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            }
            return snapshot
        }
    }
}
