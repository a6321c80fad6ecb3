import Foundation

/// Peers added by hand (`POST /api/v1/peers`, `streamhub peers add`), kept across restarts;
/// peers from `P2P_PEERS`, membership lists and mDNS are found again at each start.
public protocol PeerRepository: Sendable {
    func all() async throws -> [(name: String, address: String)]
    func save(name: String, address: String, at date: Date) async throws
}
