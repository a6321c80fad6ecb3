import CoreMetrics
import HubCore
import Hummingbird

/// Streams' figures, by where their bytes come from (this hub's store, or a peer's blocks): the
/// time from the request to the first byte of video handed to the socket
/// (`streamhub_stream_first_byte_seconds`), and the bytes handed over
/// (`streamhub_stream_bytes_total`, an interrupted stream's too), which go to the day's
/// traffic as well.
struct StreamMetrics: Sendable {
    enum Source: String, CaseIterable, Sendable {
        case store, peer
    }

    private let firstByte: [Source: Timer]
    private let bytes: [Source: Counter]
    private let traffic: TrafficTally?

    init(_ metrics: HubMetrics, traffic: TrafficTally? = nil) {
        self.traffic = traffic
        var firstByte: [Source: Timer] = [:]
        var bytes: [Source: Counter] = [:]
        for source in Source.allCases {
            firstByte[source] = metrics.durations("streamhub_stream_first_byte_seconds", [("source", source.rawValue)])
            bytes[source] = metrics.counter("streamhub_stream_bytes_total", [("source", source.rawValue)])
        }
        self.firstByte = firstByte
        self.bytes = bytes
    }

    func firstByte(from source: Source, since start: ContinuousClock.Instant) {
        firstByte[source]?.record(ContinuousClock.now - start)
    }

    func served(_ count: Int, from source: Source) {
        guard count > 0 else { return }
        bytes[source]?.increment(by: count)
        traffic?.streamed(count)
    }
}

/// One response's part in `StreamMetrics`: what it measures, from when.
struct StreamMeasurement: Sendable {
    let metrics: StreamMetrics
    let source: StreamMetrics.Source
    let start: ContinuousClock.Instant

    /// Writes `bytes` to `writer`, timing the first chunk and counting every byte that went.
    func write(_ bytes: ObjectByteStream, to writer: inout any ResponseBodyWriter, first: inout Bool) async throws {
        var sent = 0
        defer { metrics.served(sent, from: source) }
        for try await chunk in bytes {
            try await writer.write(chunk)
            if first {
                metrics.firstByte(from: source, since: start)
                first = false
            }
            sent += chunk.readableBytes
        }
    }
}
