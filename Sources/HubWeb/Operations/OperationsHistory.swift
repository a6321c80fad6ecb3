import CoreMetrics
import Foundation
import Synchronization

/// The last hour and day of the hub's figures, kept in memory for the operations page, so an
/// operator sees trends without running Prometheus.
///
/// It is a second swift-metrics factory beside Prometheus' (`HubTelemetry` sends every figure
/// to both): each counter and timer adds into a running total per family (a request's route and
/// status do not matter here, except that a 5xx is also counted apart), each gauge keeps its
/// last value. `sample(at:)`, every 10 s, turns the totals into the interval's rates and means:
/// a point of the hour's series, and every 5 minutes a point of the day's.
final class OperationsHistory: MetricsFactory, Sendable {
    /// What the page charts, each a function of one interval's growth.
    enum Series: String, CaseIterable, Sendable {
        case requestsPerSecond, serverErrorsPerSecond, requestMilliseconds
        case uploadMiBPerSecond, streamMiBPerSecond, firstByteMilliseconds
        case storageMilliseconds, storageErrorsPerSecond, databaseMilliseconds
        case queueDepth, peersAlive, cacheHitRatio
    }

    struct Point: Sendable, Equatable {
        var at: Date
        /// nil where the interval had nothing to measure (a mean of no requests).
        var values: [Series: Double]
    }

    static let hourStep: TimeInterval = 10
    static let dayStep: TimeInterval = 300

    private struct Total: Sendable {
        var count: Int64 = 0
        var sum: Double = 0
    }

    private struct State: Sendable {
        var totals: [String: Total] = [:]
        var gauges: [String: Double] = [:]
        var hourMark: (at: Date, totals: [String: Total])?
        var dayMark: (at: Date, totals: [String: Total])?
        var hour: [Point] = []
        var day: [Point] = []
    }

    private let state = Mutex(State())

    init() {}

    // MARK: Recording

    fileprivate func add(_ key: String, count: Int64, sum: Double = 0) {
        state.withLock { state in
            state.totals[key, default: Total()].count &+= count
            state.totals[key, default: Total()].sum += sum
        }
    }

    fileprivate func set(_ key: String, _ value: Double) {
        state.withLock { $0.gauges[key] = value }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        Handler(history: self, keys: [label])
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        Handler(history: self, keys: [label])
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        Handler(history: self, keys: [Self.key(label, dimensions)])
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(history: self, keys: [label])
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let serverError = dimensions.contains { $0.0 == "status" && $0.1.hasPrefix("5") }
        return Handler(history: self, keys: serverError ? [label, label + ":5xx"] : [label])
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    // MARK: Sampling

    /// Ends an interval at `now`: a point of the hour's series, and of the day's when five
    /// minutes have passed since its last.
    func sample(at now: Date) {
        state.withLock { state in
            let (totals, gauges) = (state.totals, state.gauges)
            if let mark = state.hourMark {
                state.hour.append(Point(at: now, values: Self.values(from: mark.totals, to: totals, over: now.timeIntervalSince(mark.at), gauges: gauges)))
                if state.hour.count > Int(3_600 / Self.hourStep) { state.hour.removeFirst(state.hour.count - Int(3_600 / Self.hourStep)) }
            }
            state.hourMark = (now, totals)
            guard let mark = state.dayMark else {
                state.dayMark = (now, totals)
                return
            }
            guard now.timeIntervalSince(mark.at) >= Self.dayStep - 1 else { return }
            state.day.append(Point(at: now, values: Self.values(from: mark.totals, to: totals, over: now.timeIntervalSince(mark.at), gauges: gauges)))
            if state.day.count > Int(86_400 / Self.dayStep) { state.day.removeFirst(state.day.count - Int(86_400 / Self.dayStep)) }
            state.dayMark = (now, totals)
        }
    }

    /// The last hour's points (10 s apart) or the last day's (5 min apart), oldest first.
    func points(lastDay: Bool) -> [Point] {
        state.withLock { lastDay ? $0.day : $0.hour }
    }

    private static func values(from start: [String: Total], to end: [String: Total], over seconds: TimeInterval, gauges: [String: Double]) -> [Series: Double] {
        let seconds = max(seconds, 0.001)
        func growth(_ key: String) -> Total {
            let (before, after) = (start[key] ?? Total(), end[key] ?? Total())
            return Total(count: after.count &- before.count, sum: after.sum - before.sum)
        }
        func rate(_ key: String, scale: Double = 1) -> Double { Double(growth(key).count) / seconds / scale }
        /// A timer's mean over the interval, in milliseconds (its sum is in nanoseconds).
        func mean(_ key: String) -> Double? {
            let total = growth(key)
            return total.count > 0 ? total.sum / Double(total.count) / 1e6 : nil
        }
        var values: [Series: Double] = [
            .requestsPerSecond: rate("streamhub_http_request_duration_seconds"),
            .serverErrorsPerSecond: rate("streamhub_http_request_duration_seconds:5xx"),
            .uploadMiBPerSecond: rate("streamhub_upload_received_bytes_total", scale: 1_048_576),
            .streamMiBPerSecond: rate("streamhub_stream_bytes_total", scale: 1_048_576),
            .storageErrorsPerSecond: rate("streamhub_storage_errors_total"),
        ]
        values[.requestMilliseconds] = mean("streamhub_http_request_duration_seconds")
        values[.firstByteMilliseconds] = mean("streamhub_stream_first_byte_seconds")
        values[.storageMilliseconds] = mean("streamhub_storage_operation_duration_seconds")
        values[.databaseMilliseconds] = mean("streamhub_database_query_duration_seconds")
        values[.queueDepth] = gauges["streamhub_processing_queue_depth"]
        values[.peersAlive] = gauges["streamhub_peers{state=alive}"]
        values[.cacheHitRatio] = gauges["streamhub_cache_hit_ratio"]
        return values
    }
}

/// Every kind of handler at once: each figure adds to its keys' totals (a timer's duration to
/// the sum, in nanoseconds), or sets its gauge.
private final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler, Sendable {
    let history: OperationsHistory
    let keys: [String]

    init(history: OperationsHistory, keys: [String]) {
        self.history = history
        self.keys = keys
    }

    func increment(by amount: Int64) { for key in keys { history.add(key, count: amount) } }
    func increment(by amount: Double) { for key in keys { history.add(key, count: Int64(amount.rounded())) } }
    func decrement(by amount: Double) {}
    func reset() {}
    func set(_ value: Int64) { set(Double(value)) }
    func set(_ value: Double) { for key in keys { history.set(key, value) } }
    func record(_ value: Int64) { record(Double(value)) }
    func record(_ value: Double) { for key in keys { history.add(key, count: 1, sum: value) } }
    func recordNanoseconds(_ duration: Int64) { for key in keys { history.add(key, count: 1, sum: Double(duration)) } }
}
