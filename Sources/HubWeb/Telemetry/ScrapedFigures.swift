import CoreMetrics
import HubCore
import HubStorage
import HubSync

/// Figures whose owners keep them as totals or current values (the disk cache's counts, the
/// processing queue in the database, the peer network's snapshot), read into the registry at
/// each scrape of `/metrics`. Made once per hub, so each scrape adds only what grew since the
/// last.
final class ScrapedFigures: Sendable {
    private let metrics: HubMetrics
    private let cacheHits, cacheMisses, cacheFetches, cacheEvictions: ObservedTotal
    private let sync: [(@Sendable (SyncMetricsSnapshot) -> Int64, ObservedTotal)]

    init(_ metrics: HubMetrics) {
        self.metrics = metrics
        cacheHits = ObservedTotal(metrics.counter("streamhub_cache_hits_total"))
        cacheMisses = ObservedTotal(metrics.counter("streamhub_cache_misses_total"))
        cacheFetches = ObservedTotal(metrics.counter("streamhub_cache_fetches_total"))
        cacheEvictions = ObservedTotal(metrics.counter("streamhub_cache_evictions_total"))
        // The peer network's counters, under the names `/metrics` has always used.
        let counters: [(String, @Sendable (SyncMetricsSnapshot) -> Int64)] = [
            ("streamhub_sync_batches_sent_total", { Int64($0.batchesSent) }),
            ("streamhub_sync_batches_received_total", { Int64($0.batchesReceived) }),
            ("streamhub_sync_changes_sent_total", { Int64($0.changesSent) }),
            ("streamhub_sync_changes_applied_total", { Int64($0.changesApplied) }),
            ("streamhub_sync_conflicts_total", { Int64($0.conflicts) }),
            ("streamhub_sync_refused_total", { Int64($0.refused) }),
            ("streamhub_sync_failures_total", { Int64($0.failures) }),
            ("streamhub_peer_blocks_sent_total", { Int64($0.blocksSent) }),
            ("streamhub_peer_block_bytes_sent_total", { $0.blockBytesSent }),
            ("streamhub_peer_blocks_fetched_total", { Int64($0.blocksFetched) }),
            ("streamhub_peer_block_bytes_fetched_total", { $0.blockBytesFetched }),
            ("streamhub_peer_blocks_refused_total", { Int64($0.blocksRefused) }),
        ]
        sync = counters.map { name, read in (read, ObservedTotal(metrics.counter(name))) }
    }

    func sample(cache: CacheStatistics?, queueDepth: Int?, network: PeerNetwork.Status?) {
        if let cache {
            cacheHits.observe(Int64(cache.hits))
            cacheMisses.observe(Int64(cache.misses))
            cacheFetches.observe(Int64(cache.fetches))
            cacheEvictions.observe(Int64(cache.evictions))
            metrics.gauge("streamhub_cache_hit_ratio").set(cache.hitRatio)
            metrics.gauge("streamhub_cache_bytes").set(cache.cachedBytes)
            metrics.gauge("streamhub_cache_max_bytes").set(cache.maxBytes)
        }
        if let queueDepth { metrics.gauge("streamhub_processing_queue_depth").set(queueDepth) }
        metrics.gauge("streamhub_p2p_enabled").set(network == nil ? 0 : 1)
        guard let network else { return }
        for state in PeerState.allCases {
            metrics.gauge("streamhub_peers", [("state", state.rawValue)]).set(network.peers.filter { $0.state == state }.count)
        }
        let snapshot = network.metrics
        for (read, total) in sync { total.observe(read(snapshot)) }
        if let discovery = snapshot.discoverySeconds { metrics.gauge("streamhub_peer_discovery_seconds").set(discovery) }
        for (quantile, lag) in [("0.5", snapshot.lagP50Seconds), ("0.99", snapshot.lagP99Seconds)] {
            if let lag { metrics.gauge("streamhub_sync_lag_seconds", [("quantile", quantile)]).set(lag) }
        }
    }
}
