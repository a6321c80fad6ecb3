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
    let blocks: BlockCache?

    struct Status: ResponseEncodable {
        var status: String
        var checks: [String: String]?
        var cache: CacheStatistics?
        var peerBlocks: BlockCacheStatus?
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
        router.get("metrics", use: metrics)
    }

    /// Prometheus' text format; the peer network's figures (zeros while it is off).
    @Sendable func metrics(_ request: Request, context: Context) async throws -> Response {
        let text = SyncMetricsText.render(await network?.status())
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
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
        if let blocks {
            let usage = await blocks.usage
            peerBlocks = BlockCacheStatus(blocks: usage.blocks, bytes: usage.bytes, budgetBytes: blocks.budget)
        }
        var response = try Status(status: ready ? "ready" : "unavailable", checks: checks, cache: cache, peerBlocks: peerBlocks)
            .response(from: request, context: context)
        response.status = ready ? .ok : .serviceUnavailable
        return response
    }
}
