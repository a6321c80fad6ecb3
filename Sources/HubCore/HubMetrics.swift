import CoreMetrics
import Synchronization

/// Where the hub's figures go: a swift-metrics factory the hub owns (Prometheus' registry in a
/// running hub, `GET /metrics`), never the process-wide `MetricsSystem`, so each hub in a test
/// process keeps its own figures and nothing has to be bootstrapped once per process.
///
/// Names follow Prometheus' conventions (`streamhub_…`, `_seconds`, `_bytes`, `_total`), and a
/// label's values come from a short fixed set (a route pattern, an operation, a backend): never
/// a video id or a user, which would grow the registry with every request.
public struct HubMetrics: Sendable {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Figures that go nowhere: for commands and tests that do not read them.
    public static var disabled: HubMetrics { HubMetrics(factory: NOOPMetricsHandler.instance) }

    public func counter(_ name: String, _ labels: [(String, String)] = []) -> Counter {
        Counter(label: name, dimensions: labels, factory: factory)
    }

    /// A histogram of durations, exposed in seconds.
    public func durations(_ name: String, _ labels: [(String, String)] = []) -> Timer {
        Timer(label: name, dimensions: labels, factory: factory)
    }

    /// A value that goes up and down.
    public func gauge(_ name: String, _ labels: [(String, String)] = []) -> Meter {
        Meter(label: name, dimensions: labels, factory: factory)
    }
}

/// How long each of a fixed set of operations takes, and how often it fails: one histogram and
/// one error counter per operation, made once, so the hot paths (a stream's read) only record.
public struct OperationMetrics<Operation: CaseIterable & Hashable & Sendable & RawRepresentable>: Sendable where Operation.RawValue == String {
    private let timers: [Operation: Timer]
    private let failures: [Operation: Counter]
    /// What is an answer rather than a failure (a missing object, for a store).
    private let isExpected: @Sendable (any Error) -> Bool

    /// `labels` go on every figure; the operation goes under `operation`.
    public init(
        _ metrics: HubMetrics, durations: String, errors: String, labels: [(String, String)] = [],
        isExpected: @escaping @Sendable (any Error) -> Bool = { _ in false }
    ) {
        var timers: [Operation: Timer] = [:]
        var failures: [Operation: Counter] = [:]
        for operation in Operation.allCases {
            let labels = labels + [("operation", operation.rawValue)]
            timers[operation] = metrics.durations(durations, labels)
            failures[operation] = metrics.counter(errors, labels)
        }
        self.timers = timers
        self.failures = failures
        self.isExpected = isExpected
    }

    /// An operation timed by someone else (SQLite's own statement profile).
    public func record(_ operation: Operation, _ duration: Duration) {
        timers[operation]?.record(duration)
    }

    public func measure<T>(_ operation: Operation, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        do {
            let result = try await body()
            timers[operation]?.record(ContinuousClock.now - start)
            return result
        } catch {
            timers[operation]?.record(ContinuousClock.now - start)
            if !(error is CancellationError), !isExpected(error) { failures[operation]?.increment() }
            throw error
        }
    }
}

extension Timer {
    public func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(max(0, seconds) &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
    }
}

/// A counter fed from a total kept elsewhere (the disk cache's hits, the peer network's
/// snapshot): each scrape adds what the total grew by since the last one. A total that went
/// down (its owner restarted) starts over from there without taking the counter back.
public final class ObservedTotal: Sendable {
    private let grew: @Sendable (Int64) -> Void
    private let last = Mutex<Int64>(0)

    /// Each scrape's growth goes to `grew`.
    public init(grew: @escaping @Sendable (Int64) -> Void) {
        self.grew = grew
    }

    public convenience init(_ counter: Counter) {
        self.init(grew: { counter.increment(by: $0) })
    }

    public func observe(_ total: Int64) {
        let growth = last.withLock { last in
            defer { last = total }
            return total >= last ? total - last : total
        }
        if growth > 0 { grew(growth) }
    }
}
