import Foundation
import HubCore
import Synchronization

/// The peer network's counters and recent propagation lags, for `/metrics` and the Peers page.
public final class SyncMetrics: Sendable {
    public typealias Snapshot = SyncMetricsSnapshot

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
