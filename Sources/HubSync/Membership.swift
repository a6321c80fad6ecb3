import Foundation
import HubCore


/// Every peer this hub knows, with a failure detector: a peer that misses a probe becomes
/// suspect, one that misses `deadAfter` in a row dead. Dead peers are probed with exponential
/// backoff (up to `maxBackoff`) so one that comes back is found again, and discovered ones
/// that stay dead past `forgetAfter` are dropped. Any successful exchange makes a peer alive.
public actor Membership {
    public struct Settings: Sendable {
        public var probeInterval: Duration = .seconds(1)
        /// How many alive peers are probed per interval, on average.
        public var probesPerInterval = 3
        public var deadAfter = 3
        public var maxBackoff: Duration = .seconds(30)
        public var forgetAfter: Duration = .seconds(600)

        public init() {}
    }

    private let own: NodeID
    private let settings: Settings
    private let clock: any WallClock
    private var peers: [PeerAddress: PeerStatus] = [:]
    /// Addresses found to be this hub itself (a seed list shared by every hub names it too).
    private var ownAddresses: Set<PeerAddress> = []
    private let started: Date
    /// When the first peer answered, for the discovery-time metric.
    public private(set) var firstContact: Date?

    public init(own: NodeID, settings: Settings = Settings(), clock: any WallClock) {
        self.own = own
        self.settings = settings
        self.clock = clock
        self.started = clock.now()
    }

    /// Seconds from start until the first peer answered.
    public var discoverySeconds: Double? { firstContact.map { $0.timeIntervalSince(started) } }

    /// Adds a peer unless it is known (a named source replaces a discovered one); returns
    /// whether it is new.
    @discardableResult
    public func add(_ address: PeerAddress, name: String?, node: NodeID? = nil, source: PeerSource) -> Bool {
        guard node != own, !ownAddresses.contains(address) else { return false }
        if var known = peers[address] {
            if let name, known.name == known.address.description || !source.isDiscovered { known.name = name }
            if !source.isDiscovered && known.source.isDiscovered { known.source = source }
            if let node { known.node = node }
            peers[address] = known
            return false
        }
        // The same hub at another address (it moved, or mDNS and a seed name it differently):
        // keep the newest address only.
        if let node, let old = peers.first(where: { $0.value.node == node })?.key, old != address {
            if peers[old]?.state == .alive { return false }
            peers[old] = nil
        }
        let now = clock.now()
        peers[address] = PeerStatus(address: address, name: name, node: node, source: source, at: now)
        return true
    }

    /// Peers learned from others' lists and never reached yet, at most: each is probed, so a
    /// peer's list must not make this hub probe arbitrary hosts without bound.
    public static let maxUnconfirmed = 256
    /// New peers one list may teach.
    public static let maxLearnedPerList = 32

    /// Adds the peers a peer listed, skipping this hub and those already known, within the
    /// bounds above; returns how many were new.
    @discardableResult
    public func learn(_ members: [PeerMessage.Member]) -> Int {
        var unconfirmed = peers.values.count { $0.source == .gossip && $0.lastContact == nil }
        var learned = 0
        for member in members.prefix(1_000) where learned < Self.maxLearnedPerList && unconfirmed < Self.maxUnconfirmed {
            guard PeerMessage.isValidName(member.name) else { continue }
            if add(member.address, name: member.name, node: member.node, source: .gossip) {
                learned += 1
                unconfirmed += 1
            }
        }
        return learned
    }

    /// The address turned out to be this hub.
    public func isOwn(_ address: PeerAddress) {
        ownAddresses.insert(address)
        peers[address] = nil
    }

    /// Peers whose probe is due.
    public func due() -> [PeerAddress] {
        let now = clock.now()
        return peers.values.filter { $0.nextProbe <= now }.map(\.address)
    }

    /// A probe or request to the peer succeeded; returns whether it was not alive before (a
    /// peer just found or back), which is when a hub compares notes with it at once.
    @discardableResult
    public func reached(_ address: PeerAddress, node: NodeID?, name: String?, kept: KeptForOthers? = nil) -> Bool {
        guard var peer = peers[address] else { return false }
        if let kept { peer.keptForOthers = kept }
        let now = clock.now()
        if firstContact == nil { firstContact = now }
        let wasAlive = peer.state == .alive
        peer.state = .alive
        peer.failures = 0
        peer.lastError = nil
        peer.lastContact = now
        // Like SWIM, a hub probes a few alive peers per interval, not all of them: each alive
        // peer's turn comes every (alive peers ÷ probesPerInterval) intervals, so probing costs
        // O(N) messages across the network per interval instead of O(N²).
        let alive = Double(peers.values.filter { $0.state == .alive }.count + (wasAlive ? 0 : 1))
        let jitter = Double.random(in: 0.9...1.1)
        peer.nextProbe = now.addingTimeInterval(settings.probeInterval.seconds * max(1, alive / Double(settings.probesPerInterval)) * jitter)
        if let node { peer.node = node }
        if let name, peer.source.isDiscovered || peer.name == peer.address.description { peer.name = name }
        peers[address] = peer
        return !wasAlive
    }

    /// A request from the peer arrived: it is alive, whatever our last probe said.
    public func heard(from node: NodeID) -> PeerAddress? {
        guard let address = address(of: node) else { return nil }
        // Contact keeps a peer alive without pushing back its next probe: a peer that only
        // sends must still answer now and then.
        if var peer = peers[address], peer.state != .alive || peer.failures > 0 {
            peer.state = .alive
            peer.failures = 0
            peer.lastContact = clock.now()
            peers[address] = peer
        } else {
            peers[address]?.lastContact = clock.now()
        }
        return address
    }

    /// A probe or request to the peer failed.
    public func failed(_ address: PeerAddress, error: String) {
        guard var peer = peers[address] else { return }
        let now = clock.now()
        peer.failures += 1
        peer.lastError = error
        peer.state = peer.failures >= settings.deadAfter ? .dead : .suspect
        let backoff = min(settings.probeInterval.seconds * pow(2, Double(max(0, peer.failures - 1))), settings.maxBackoff.seconds)
        peer.nextProbe = now.addingTimeInterval(backoff)
        if peer.state == .dead, peer.source.isDiscovered,
            now.timeIntervalSince(peer.lastContact ?? peer.firstSeen) > settings.forgetAfter.seconds
        {
            peers[address] = nil
            return
        }
        peers[address] = peer
    }

    public func address(of node: NodeID) -> PeerAddress? {
        peers.values.first { $0.node == node }?.address
    }

    public func name(of address: PeerAddress) -> String {
        peers[address]?.name ?? address.description
    }

    /// Up to `count` alive peers at random, leaving out `excluded` nodes.
    public func randomAlive(_ count: Int, excluding excluded: Set<NodeID> = []) -> [PeerStatus] {
        Array(peers.values.filter { $0.state == .alive && !($0.node.map(excluded.contains) ?? false) }.shuffled().prefix(count))
    }

    /// The peers to tell others about: those that answered.
    public func members() -> [PeerMessage.Member] {
        peers.values.filter { $0.state != .dead && $0.node != nil }.map { .init(node: $0.node, name: $0.name, address: $0.address) }
    }

    public func statuses() -> [PeerStatus] {
        peers.values.sorted { ($0.name, $0.address) < ($1.name, $1.address) }
    }

    public enum Exchange { case sent, received }

    /// Counts a batch exchanged with a peer and what it did here.
    public func record(
        _ exchange: Exchange, with address: PeerAddress, applied: Int = 0, conflicts: Int = 0, refused: Int = 0, lag: Double? = nil
    ) {
        guard var peer = peers[address] else { return }
        switch exchange {
        case .sent: peer.batchesSent += 1
        case .received: peer.batchesReceived += 1
        }
        peer.changesApplied += applied
        peer.conflicts += conflicts
        peer.refused += refused
        if let lag { peer.lagSeconds = lag }
        peers[address] = peer
    }
}
