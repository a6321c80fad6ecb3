import CoreMetrics
import HubCore

/// Uploads' figures: bytes made durable as they arrive (`streamhub_upload_received_bytes_total`,
/// by protocol, whose rate is the upload throughput) and uploads that became videos
/// (`streamhub_uploads_completed_total`). The bytes go to the day's traffic too, which the
/// storage report reads.
public struct UploadMetrics: Sendable {
    public enum UploadProtocol: String, CaseIterable, Sendable {
        case tus, form
    }

    private let received: [UploadProtocol: Counter]
    private let completed: Counter
    private let traffic: TrafficTally?

    public init(_ metrics: HubMetrics, traffic: TrafficTally? = nil) {
        self.traffic = traffic
        received = Dictionary(
            uniqueKeysWithValues: UploadProtocol.allCases.map { ($0, metrics.counter("streamhub_upload_received_bytes_total", [("protocol", $0.rawValue)])) })
        completed = metrics.counter("streamhub_uploads_completed_total")
    }

    public static var disabled: UploadMetrics { UploadMetrics(.disabled) }

    func completedOne() { completed.increment() }

    func received(_ bytes: Int64, by uploadProtocol: UploadProtocol) {
        guard bytes > 0 else { return }
        received[uploadProtocol]?.increment(by: bytes)
        traffic?.uploaded(Int(bytes))
    }
}

/// The processing queue's figures: how long each kind of job ran and how it ended
/// (`streamhub_processing_job_duration_seconds`, by kind and outcome), and how long an upload
/// took from its last byte to playable (`streamhub_video_time_to_ready_seconds`). The queue's
/// depth is read when `/metrics` is scraped.
public struct ProcessingMetrics: Sendable {
    public enum Outcome: String, CaseIterable, Sendable {
        /// Done, its result recorded.
        case done
        /// Failed, to run again later.
        case retried
        /// Failed for good.
        case failed
    }

    private let durations: [MediaJobKind: [Outcome: Timer]]
    private let timeToReady: Timer

    public init(_ metrics: HubMetrics) {
        var durations: [MediaJobKind: [Outcome: Timer]] = [:]
        for kind in MediaJobKind.allCases {
            for outcome in Outcome.allCases {
                durations[kind, default: [:]][outcome] = metrics.durations(
                    "streamhub_processing_job_duration_seconds", [("kind", kind.rawValue), ("outcome", outcome.rawValue)])
            }
        }
        self.durations = durations
        timeToReady = metrics.durations("streamhub_video_time_to_ready_seconds")
    }

    public static var disabled: ProcessingMetrics { ProcessingMetrics(.disabled) }

    func madeReady(after duration: Duration) { timeToReady.record(duration) }

    func ran(_ kind: MediaJobKind, for duration: Duration, outcome: Outcome) {
        durations[kind]?[outcome]?.record(duration)
    }
}
