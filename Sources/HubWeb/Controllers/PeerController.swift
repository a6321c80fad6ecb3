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
        guard !name.isEmpty, name.unicodeScalars.count <= 63, !name.contains(where: \.isNewline) else {
            throw APIError.badRequest("name must be 1 to 63 characters on one line", code: "invalid_peer_name")
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
