/// The peer network's counters and propagation lags at one moment: for `/metrics`, the Peers
/// page and `GET /api/v1/peers`.
public struct SyncMetricsSnapshot: Codable, Sendable, Equatable {
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
    /// Blocks of shared videos sent to peers, and their bytes.
    public var blocksSent = 0
    public var blockBytesSent: Int64 = 0
    /// Blocks of peers' videos fetched and verified here, and their bytes.
    public var blocksFetched = 0
    public var blockBytesFetched: Int64 = 0
    /// Blocks a holder failed to send intact (timed out, refused, or did not match their hash).
    public var blocksRefused = 0
    /// How long changes took from their stamp to being merged here: the latest, the
    /// median and the 99th percentile of the last 1,000.
    public var lagSeconds: Double?
    public var lagP50Seconds: Double?
    public var lagP99Seconds: Double?

    public init() {}
}
