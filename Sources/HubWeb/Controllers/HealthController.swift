import Foundation
import HubCore
import HubMedia
import HubStorage
import HubSync
import Hummingbird
import NIOCore

/// `GET /healthz` (the process answers) and `GET /readyz` (database and storage reachable, and
/// the disk cache's counters when there is one).
struct HealthController<Context: RequestContext>: Sendable {
    let videos: VideoService
    let network: PeerNetwork?
    let peerVideos: PeerVideos?

    struct Status: ResponseEncodable {
        var status: String
        var checks: [String: String]?
        var cache: CacheStatistics?
        var peerBlocks: BlockCacheStatus?
        var replicas: ReplicaStatus?
    }

    /// The peers' videos kept whole here (replicas and pins), apart from the cache's budget.
    struct ReplicaStatus: Codable {
        /// `P2P_VIDEO_REPLICAS`: hubs keeping each shared video whole, its origin included.
        var copies: Int
        var videos: Int
        var bytes: Int64
    }

    /// What the cache of peers' video blocks holds, against `P2P_BLOCK_CACHE_BYTES`.
    struct BlockCacheStatus: Codable {
        var blocks: Int
        var bytes: Int64
        var budgetBytes: Int64
    }

    func addRoutes(to router: Router<Context>) {
        router.get("healthz") { _, _ in Status(status: "ok") }
        router.get("readyz", use: ready)
    }

    @Sendable func ready(_ request: Request, context: Context) async throws -> Response {
        var checks: [String: String] = [:]
        do {
            try await videos.ping()
            checks["database"] = "ok"
        } catch {
            checks["database"] = "\(error)"
        }
        do {
            try await videos.store.checkHealth()
            checks["storage"] = "ok"
        } catch {
            checks["storage"] = "\(error)"
        }
        let ready = checks.values.allSatisfy { $0 == "ok" }
        let cache = await (videos.store as? CachedObjectStore)?.statistics
        var peerBlocks: BlockCacheStatus?
        var replicas: ReplicaStatus?
        if let peerVideos {
            let (usage, pinned) = (await peerVideos.cache.usage, await peerVideos.cache.pinned)
            peerBlocks = BlockCacheStatus(blocks: usage.blocks - pinned.blocks, bytes: usage.bytes - pinned.bytes, budgetBytes: peerVideos.cache.budget)
            let holding = peerVideos.kept.holding
            replicas = ReplicaStatus(copies: peerVideos.replicas, videos: holding.videos, bytes: holding.bytes)
        }
        var response = try Status(
            status: ready ? "ready" : "unavailable", checks: checks, cache: cache, peerBlocks: peerBlocks, replicas: replicas)
            .response(from: request, context: context)
        response.status = ready ? .ok : .serviceUnavailable
        return response
    }
}
