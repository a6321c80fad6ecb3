import Foundation
import HubCore
import HubSystem
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The hub's side of the peer network: who the peers are (membership with a failure detector),
/// how new changes of shared notes and of the shared video catalogue reach them (gossip), how
/// gaps are repaired (anti-entropy), how shared videos' blocks are served,
/// and the answers to peers' requests. Transport-neutral on the receiving side: the peer
/// listener (HubWeb) checks signatures, decodes bodies and calls `hello`, `gossip`, `digest`
/// and `pull`.
///
/// Gossip: each round (`P2P_GOSSIP_INTERVAL_MS`) sends the notes changed since the last one to
/// `P2P_FANOUT` random alive peers; a hub passes on changes that were new to it, once, to peers
/// other than the sender and the changes' makers. So an edit reaches N hubs in about
/// log_fanout(N) rounds with at most fanout × N messages. A receiver that lacks what a batch was
/// built on answers with what it holds and gets the rest at once.
///
/// Anti-entropy: each `P2P_ANTI_ENTROPY_INTERVAL_MS` the hub compares its root digest (one
/// number summarising every shared note's changes) with a random peer's; when they differ it
/// fetches the peer's per-note digests and pulls the notes that differ, giving what it already
/// holds of each. Lost gossip, hubs that were offline and new hubs all catch up this way.
public final class PeerNetwork: Sendable {
    public struct Settings: Sendable {
        public var port: Int
        /// The address the listener binds; peers are told it unless it is a wildcard.
        public var host: String
        public var seeds: [PeerAddress]
        public var fanout: Int
        public var gossipInterval: Duration
        public var antiEntropyInterval: Duration
        public var membership = Membership.Settings()
        public var multicastDNS: Bool
        /// The most bytes per second sent to peers as blocks of videos, all together
        /// (`P2P_SEND_BYTES_PER_SECOND`); nil for no cap.
        public var sendRate: Int64?

        public init(
            port: Int, host: String, seeds: [PeerAddress], fanout: Int, gossipInterval: Duration, antiEntropyInterval: Duration,
            multicastDNS: Bool, sendRate: Int64? = nil
        ) {
            self.port = port
            self.host = host
            self.seeds = seeds
            self.fanout = fanout
            self.gossipInterval = gossipInterval
            self.antiEntropyInterval = antiEntropyInterval
            self.multicastDNS = multicastDNS
            self.sendRate = sendRate
        }

        /// The host peers should use, when the listener's is specific.
        var advertisedHost: String? { ["0.0.0.0", "::", ""].contains(host) ? nil : host }
    }

    public let settings: Settings
    public let identity: NodeIdentity
    public let notepad: any SharedNotepad
    /// The shared video catalogue: this hub's shared videos' entries and peers'.
    public let catalogue: any SharedCatalogue
    /// The peers' videos this hub keeps whole for others, announced in its hellos.
    let kept: ReplicaLibrary?
    /// The shared videos this hub holds, whose manifests and blocks peers may fetch.
    public let library: any SharedLibrary
    public let membership: Membership
    public let authenticator: PeerRequestAuthenticator
    public let metrics = SyncMetrics()
    let transport: any PeerTransport
    let outbox = Outbox()
    let catalogueOutbox = CatalogueOutbox()
    /// The newest change of a shared note held here, as far as this process has seen.
    let newest = NewestChange()
    /// Peers that hold changes gossip did not bring here (with the newest they hold):
    /// synchronised with at the next round.
    let missed = Mutex<[PeerAddress: HLCTimestamp]>([:])
    let synchronizing = Mutex(false)
    let refusals = RefusalFolding()
    /// The cap on blocks sent to peers, when there is one.
    let sending: SendRate?
    let peerStore: any PeerRepository
    let clock: any WallClock
    let logger: Logger

    /// Largest batch list a gossip request may carry, and largest number of changes.
    public static let maxBatches = 5_000
    public static let maxChanges = 200_000

    public init(
        settings: Settings, identity: NodeIdentity, notepad: any SharedNotepad, catalogue: any SharedCatalogue, library: any SharedLibrary,
        peers: any PeerRepository, kept: ReplicaLibrary? = nil,
        authenticator: PeerRequestAuthenticator, transport: any PeerTransport, clock: any WallClock, logger: Logger
    ) {
        self.kept = kept
        self.settings = settings
        self.sending = settings.sendRate.map { SendRate(bytesPerSecond: $0) }
        self.identity = identity
        self.notepad = notepad
        self.catalogue = catalogue
        self.library = library
        self.peerStore = peers
        self.clock = clock
        self.logger = logger
        self.membership = Membership(own: identity.id, settings: settings.membership, clock: clock)
        self.authenticator = authenticator
        self.transport = transport
        let (outbox, newest) = (outbox, newest)
        notepad.onLocalChange { notice in
            outbox.add(notice.note, from: notice.version - notice.count + 1)
            newest.advance(to: notice.newest)
        }
        let catalogueOutbox = catalogueOutbox
        catalogue.onLocalChange { video in catalogueOutbox.add(video) }
    }

    /// The peer network's loops, run beside the web server and the peer listener.
    public func services() -> [any Service] {
        var services: [any Service] = [
            PeriodicService("probing peers", every: settings.membership.probeInterval, logger: logger, atStart: loadPeers) {
                await self.probeRound()
            },
            PeriodicService("gossiping note changes", every: settings.gossipInterval, logger: logger) {
                try await self.gossipRound()
            },
            PeriodicService("gossiping shared videos", every: settings.gossipInterval, logger: logger) {
                try await self.catalogueGossipRound()
            },
            PeriodicService("anti-entropy with peers", every: settings.antiEntropyInterval, logger: logger) {
                try await self.antiEntropyRound()
            },
            PeriodicService("catching up with peers that hold more", every: settings.gossipInterval, logger: logger) {
                try await self.catchUpRound()
            },
        ]
        if settings.multicastDNS {
            services.append(MulticastDNSService(
                instance: identity.name, node: identity.id, port: settings.port, host: settings.host, logger: logger
            ) { [membership] address, name, node in
                if await membership.add(address, name: name, node: node, source: .mdns) {
                    self.logger.info("found a peer by mDNS", metadata: ["peer": "\(name)", "address": "\(address)"])
                }
            })
        }
        return services
    }

    // MARK: - Status

    public struct Status: Codable, Sendable {
        public var node: NodeID
        public var name: String
        public var port: Int
        public var peers: [PeerStatus]
        public var metrics: SyncMetrics.Snapshot
    }

    public func status() async -> Status {
        Status(
            node: identity.id, name: identity.name, port: settings.port, peers: await membership.statuses(),
            metrics: metrics.snapshot(discoverySeconds: await membership.discoverySeconds))
    }
}

/// The newest change stamp seen, only ever moving forward.
final class NewestChange: Sendable {
    private let stamp = Mutex(HLCTimestamp(rawValue: 0))

    var value: HLCTimestamp { stamp.withLock { $0 } }

    func advance(to candidate: HLCTimestamp) {
        stamp.withLock { $0 = max($0, candidate) }
    }
}
