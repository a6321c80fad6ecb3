import Foundation
import HubCore

/// `GET /api/v1/peers`: this hub, its peers with their failure-detector state, and the sync
/// figures.
public struct PeersResource: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var node: NodeID
    public var name: String
    public var port: Int?
    public var peers: [PeerStatus]
    public var metrics: SyncMetricsSnapshot?

    public init(enabled: Bool, node: NodeID, name: String, port: Int? = nil, peers: [PeerStatus], metrics: SyncMetricsSnapshot? = nil) {
        self.enabled = enabled
        self.node = node
        self.name = name
        self.port = port
        self.peers = peers
        self.metrics = metrics
    }
}

/// `POST /api/v1/peers` (admins).
public struct AddPeerRequest: Codable, Sendable {
    public var name: String
    /// `host:port`, the peer's `P2P_PORT`.
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }
}

/// `GET /api/v1/sync/log`, newest first.
public struct SyncLogResource: Codable, Sendable, Equatable {
    public var entries: [SyncLogEntry]
    /// Pass as `before` for the next (older) page; absent on the last.
    public var next: Int64?

    public init(entries: [SyncLogEntry], next: Int64?) {
        self.entries = entries
        self.next = next
    }
}
