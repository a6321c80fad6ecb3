import Foundation

/// How a hub came to know a peer.
public enum PeerSource: String, Codable, Sendable, CaseIterable {
    /// `P2P_PEERS`.
    case configured
    /// `POST /api/v1/peers` or `streamhub peers add`: kept across restarts.
    case added
    /// Another peer's membership list.
    case gossip
    /// Multicast DNS on the local network.
    case mdns

    /// Peers found by discovery are forgotten once dead for long; those someone named are not.
    public var isDiscovered: Bool { self == .gossip || self == .mdns }
}

/// The failure detector's view of a peer.
public enum PeerState: String, Codable, Sendable, CaseIterable {
    /// Answered its last probe (or sent us a request) recently.
    case alive
    /// Missed a probe: still tried, no longer sent gossip.
    case suspect
    /// Missed several probes in a row: retried with growing backoff, then forgotten.
    case dead
}

/// How much of the peers' videos a hub keeps whole for others (replicas and pins), as it
/// announces in its hellos.
public struct KeptForOthers: Codable, Sendable, Equatable {
    public var videos: Int
    public var bytes: Int64

    public init(videos: Int, bytes: Int64) {
        // Announced by a peer: never shown as a negative figure.
        self.videos = max(0, videos)
        self.bytes = max(0, bytes)
    }
}

/// A peer as the API and the Peers page show it.
public struct PeerStatus: Codable, Sendable, Equatable {
    public var address: PeerAddress
    public var name: String
    public var node: NodeID?
    public var source: PeerSource
    public var state: PeerState
    public var firstSeen: Date
    public var lastContact: Date?
    public var failures: Int
    public var lastError: String?
    public var nextProbe: Date
    /// How long the latest change from this peer took to arrive (its stamp to its merge).
    public var lagSeconds: Double?
    public var batchesSent: Int
    public var batchesReceived: Int
    public var changesApplied: Int
    public var conflicts: Int
    public var refused: Int
    /// What the peer last said it keeps whole of others' videos.
    public var keptForOthers: KeptForOthers?

    /// A peer just learnt of: not yet heard from.
    public init(address: PeerAddress, name: String?, node: NodeID?, source: PeerSource, at now: Date) {
        self.address = address
        self.name = name ?? address.description
        self.node = node
        self.source = source
        self.state = .suspect
        self.firstSeen = now
        self.lastContact = nil
        self.failures = 0
        self.lastError = nil
        self.nextProbe = now
        self.lagSeconds = nil
        self.batchesSent = 0
        self.batchesReceived = 0
        self.changesApplied = 0
        self.conflicts = 0
        self.refused = 0
    }
}
