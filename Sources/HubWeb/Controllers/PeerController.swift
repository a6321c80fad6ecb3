import Foundation
import HubAPI
import HubCore
import HubNotes
import HubSync
import Hummingbird

/// `GET /api/v1/peers` (this hub, its peers with their failure-detector state, and the sync
/// metrics), `POST /api/v1/peers` (adding a peer by hand, admins only) and
/// `GET /api/v1/sync/log`.
struct PeerController: Sendable {
    let network: PeerNetwork?
    let notepad: NotepadService

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("peers", use: list)
        group.post("peers", use: add)
        group.get("sync/log", use: log)
    }

    @Sendable func list(_ request: Request, context: SignedInContext) async throws -> PeersResource {
        guard let network = network else {
            return PeersResource(enabled: false, node: notepad.node.id, name: notepad.node.name, peers: [])
        }
        let status = await network.status()
        return PeersResource(enabled: true, node: status.node, name: status.name, port: status.port, peers: status.peers, metrics: status.metrics)
    }

    @Sendable func add(_ request: Request, context: SignedInContext) async throws -> Response {
        guard context.user.isAdmin else { throw APIError(status: 403, code: "admin_only", message: "only an admin can add peers") }
        let body = try await request.decode(as: AddPeerRequest.self, context: context)
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= 63, !name.contains(where: \.isNewline) else {
            throw APIError.badRequest("name must be 1 to 63 bytes on one line", code: "invalid_peer_name")
        }
        guard let address = PeerAddress(body.address) else {
            throw APIError.badRequest("address must be host:port, like 192.168.1.20:6881", code: "invalid_peer_address")
        }
        guard let network = network else {
            throw APIError(status: 409, code: "p2p_disabled", message: "the peer network is off on this hub; start it with P2P_ENABLED=true")
        }
        try await network.add(name: name, address: address)
        guard let status = await network.membership.statuses().first(where: { $0.address == address }) else {
            throw APIError.badRequest("\(address) is this hub's own peer address", code: "invalid_peer_address")
        }
        var response = try status.response(from: request, context: context)
        response.status = .created
        return response
    }

    @Sendable func log(_ request: Request, context: SignedInContext) async throws -> SyncLogResource {
        let parameters = request.uri.queryParameters
        let limit = try parameters["limit"].map { raw in
            guard let value = Int(raw), (1...1_000).contains(value) else {
                throw APIError.badRequest("limit must be from 1 to 1000", code: "invalid_limit")
            }
            return value
        } ?? 100
        let before = try parameters["before"].map { raw in
            guard let value = Int64(raw), value > 0 else { throw APIError.badRequest("before must be an entry id", code: "invalid_before") }
            return value
        }
        let entries = try await notepad.journal.recent(limit: limit, before: before)
        return SyncLogResource(entries: entries, next: entries.count == limit ? entries.last?.id : nil)
    }
}


/// The peer network's figures in Prometheus' text format, for `GET /metrics`.
enum SyncMetricsText {
    static func render(_ status: PeerNetwork.Status?) -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Double?)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples {
                guard let value else { continue }
                lines.append("\(name)\(labels) \(value)")
            }
        }
        let metrics = status?.metrics ?? SyncMetrics.Snapshot()
        let peers = status?.peers ?? []
        metric("streamhub_p2p_enabled", "gauge", "Whether the peer network is on.", [("", status == nil ? 0 : 1)])
        metric(
            "streamhub_peers", "gauge", "Known peers by failure-detector state.",
            PeerState.allCases.map { state in ("{state=\"\(state.rawValue)\"}", Double(peers.filter { $0.state == state }.count)) })
        metric("streamhub_peer_discovery_seconds", "gauge", "Seconds from start until a peer first answered.", [("", metrics.discoverySeconds)])
        metric("streamhub_sync_batches_sent_total", "counter", "Batches of note changes sent to peers.", [("", Double(metrics.batchesSent))])
        metric("streamhub_sync_batches_received_total", "counter", "Batches of note changes received from peers.", [("", Double(metrics.batchesReceived))])
        metric("streamhub_sync_changes_sent_total", "counter", "Note changes sent to peers.", [("", Double(metrics.changesSent))])
        metric("streamhub_sync_changes_applied_total", "counter", "Peers' note changes that became versions here.", [("", Double(metrics.changesApplied))])
        metric("streamhub_peer_blocks_sent_total", "counter", "Blocks of shared videos sent to peers.", [("", Double(metrics.blocksSent))])
        metric("streamhub_peer_block_bytes_sent_total", "counter", "Bytes of shared videos' blocks sent to peers.", [("", Double(metrics.blockBytesSent))])
        metric("streamhub_peer_blocks_fetched_total", "counter", "Blocks of peers' videos fetched and verified here.", [("", Double(metrics.blocksFetched))])
        metric("streamhub_peer_block_bytes_fetched_total", "counter", "Bytes of peers' video blocks fetched and verified here.", [("", Double(metrics.blockBytesFetched))])
        metric(
            "streamhub_peer_blocks_refused_total", "counter", "Blocks a holder failed to send intact (timed out, refused, or not matching their hash).",
            [("", Double(metrics.blocksRefused))])
        metric("streamhub_sync_conflicts_total", "counter", "Concurrent register writes settled by the merge rules.", [("", Double(metrics.conflicts))])
        metric("streamhub_sync_refused_total", "counter", "Peer requests and changes refused.", [("", Double(metrics.refused))])
        metric("streamhub_sync_failures_total", "counter", "Requests to peers that failed.", [("", Double(metrics.failures))])
        metric(
            "streamhub_sync_lag_seconds", "gauge", "Time from a change's stamp to its merge here (last 1,000 changes).",
            [("{quantile=\"0.5\"}", metrics.lagP50Seconds), ("{quantile=\"0.99\"}", metrics.lagP99Seconds)])
        return lines.joined(separator: "\n") + "\n"
    }
}
