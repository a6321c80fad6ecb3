import HubCore
import Hummingbird
import NIOCore

/// `GET /metrics`: the hub's figures in Prometheus' text format, for admins and for a scraper
/// holding `METRICS_TOKEN` (which opens nothing else). Figures their owners keep as totals are
/// read in first (`ScrapedFigures`).
struct MetricsController: Sendable {
    let operations: HubOperations

    func addRoutes(to router: Router<HubRequestContext>) {
        router.get("metrics", use: metrics)
    }

    @Sendable func metrics(_ request: Request, context: HubRequestContext) async throws -> Response {
        guard context.readsMetrics || context.identity?.user.isAdmin == true else {
            guard context.identity != nil else {
                throw APIError(
                    status: 401, code: "sign_in_required", message: "send METRICS_TOKEN, or an admin's API token, as 'Authorization: Bearer'",
                    headers: ["WWW-Authenticate": "Bearer"])
            }
            throw APIError(status: 403, code: "admin_only", message: "only an admin, or a scraper with METRICS_TOKEN, can read the metrics")
        }
        await operations.refreshFigures()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: operations.telemetry.exposition())))
    }
}
