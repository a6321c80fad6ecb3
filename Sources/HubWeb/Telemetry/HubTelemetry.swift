import CoreMetrics
import HubCore
import Prometheus

/// The hub's Prometheus registry, and the swift-metrics factory every module records through
/// (`metrics`), which feeds both the registry and the operations page's last hour and day
/// (`history`). One per hub, never the process-wide registry, so hubs in one test process do not
/// add up each other's figures.
public struct HubTelemetry: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let metrics: HubMetrics
    let history: OperationsHistory

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Requests and store operations: from a cached read (well under a millisecond) to a
        // slow S3 answer.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10), .seconds(30),
        ]
        // Processing: from a short clip's seconds to a long film's hour.
        let processing: [Duration] = [.seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
            .seconds(300), .seconds(600), .seconds(1800), .seconds(3600)]
        factory.durationHistogramBuckets = [
            "streamhub_processing_job_duration_seconds": processing,
            "streamhub_video_time_to_ready_seconds": processing,
        ]
        let history = OperationsHistory()
        self.registry = registry
        self.history = history
        self.metrics = HubMetrics(factory: MultiplexMetricsHandler(factories: [factory, history]))
    }

    /// Prometheus' text format (version 0.0.4).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 << 10)
        registry.emit(into: &buffer)
        return buffer
    }
}
