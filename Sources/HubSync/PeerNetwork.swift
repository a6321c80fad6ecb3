import AsyncHTTPClient
import Foundation
import HubCore
import HubNotes
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The hub's side of the peer network: who the peers are (membership with a failure detector),
/// how new changes of shared notes reach them (gossip), how gaps are repaired (anti-entropy),
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
        public var requestTimeout: TimeAmount = .seconds(10)

        public init(
            port: Int, host: String, seeds: [PeerAddress], fanout: Int, gossipInterval: Duration, antiEntropyInterval: Duration,
            multicastDNS: Bool
        ) {
            self.port = port
            self.host = host
            self.seeds = seeds
            self.fanout = fanout
            self.gossipInterval = gossipInterval
            self.antiEntropyInterval = antiEntropyInterval
            self.multicastDNS = multicastDNS
        }

        /// The host peers should use, when the listener's is specific.
        var advertisedHost: String? { ["0.0.0.0", "::", ""].contains(host) ? nil : host }
    }

    public let settings: Settings
    public let identity: NodeIdentity
    public let notepad: NotepadService
    public let membership: Membership
    public let authenticator: PeerRequestAuthenticator
    public let metrics = SyncMetrics()
    let client: PeerClient
    let outbox = Outbox()
    /// The newest change of a shared note held here, as far as this process has seen.
    let newest = NewestChange()
    /// Peers that hold changes gossip did not bring here (with the newest they hold):
    /// synchronised with at the next round.
    let missed = Mutex<[PeerAddress: HLCTimestamp]>([:])
    let synchronizing = Mutex(false)
    let peerStore: any PeerRepository
    let clock: any WallClock
    let logger: Logger

    /// Largest batch list a gossip request may carry, and largest number of changes.
    public static let maxBatches = 5_000
    public static let maxChanges = 200_000

    public init(
        settings: Settings, identity: NodeIdentity, notepad: NotepadService, peers: any PeerRepository, secret: String?,
        http: HTTPClient, clock: any WallClock, logger: Logger
    ) {
        self.settings = settings
        self.identity = identity
        self.notepad = notepad
        self.peerStore = peers
        self.clock = clock
        self.logger = logger
        self.membership = Membership(own: identity.id, settings: settings.membership, clock: clock)
        // Loopback-only hubs may run without a secret (the configuration refuses anything
        // else); they then sign with an empty one, which every such hub shares.
        self.authenticator = PeerRequestAuthenticator(secret: secret ?? "", node: identity.id, clock: clock)
        self.client = PeerClient(http: http, authenticator: authenticator, timeout: settings.requestTimeout)
        let (outbox, newest) = (outbox, newest)
        notepad.feed.subscribe { notice in
            outbox.add(notice.note, from: notice.version - notice.count + 1)
            newest.advance(to: notice.newest)
        }
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

    // MARK: - Peers

    @Sendable func loadPeers() async throws {
        for seed in settings.seeds { await membership.add(seed, name: nil, source: .configured) }
        for (name, address) in try await peerStore.all() {
            if let address = PeerAddress(address) { await membership.add(address, name: name, source: .added) }
        }
    }

    /// `POST /api/v1/peers` and `streamhub peers add`: the guide's `register_peer`. Kept across
    /// restarts and probed at once.
    public func add(name: String, address: PeerAddress) async throws {
        try await peerStore.save(name: name, address: address.description, at: clock.now())
        await membership.add(address, name: name, source: .added)
        await probe(address, with: await hello())
    }

    func hello() async -> PeerMessage.Hello {
        PeerMessage.Hello(
            node: identity.id, name: identity.name, port: settings.port, host: settings.advertisedHost, members: await membership.members(),
            newest: newest.value)
    }

    func probeRound() async {
        let due = await membership.due()
        guard !due.isEmpty else { return }
        let hello = await hello()
        await withTaskGroup(of: Void.self) { group in
            for address in due {
                group.addTask { await self.probe(address, with: hello) }
            }
        }
    }

    func probe(_ address: PeerAddress, with hello: PeerMessage.Hello) async {
        do {
            let answer = try await client.post("hello", hello, to: address, as: PeerMessage.Hello.self)
            guard answer.node != identity.id else {
                await membership.isOwn(address)
                return
            }
            let isNew = await membership.reached(address, node: answer.node, name: answer.name)
            await membership.learn(answer.members)
            // A peer just found, or back after a while: compare notes now rather than at the
            // next anti-entropy round, so a new or returning hub catches up at once.
            if isNew { try await synchronize(with: address) } else { noteNewest(answer.newest, at: address) }
        } catch {
            await failed(address, error)
        }
    }

    private func failed(_ address: PeerAddress, _ error: any Error) async {
        metrics.update { $0.failures += 1 }
        await membership.failed(address, error: "\(error)")
        logger.debug("a peer did not answer", metadata: ["peer": "\(address)", "error": "\(error)"])
    }

    // MARK: - Gossip

    func gossipRound() async throws {
        let pending = outbox.drain()
        guard !pending.isEmpty else { return }
        // Notes passed on from one sender share their exclusions: one set of targets per group.
        var groups: [Set<NodeID>: [NoteBatch]] = [:]
        for (id, entry) in pending {
            guard let batch = try await notepad.outgoing(id, from: entry.from), !batch.changes.isEmpty else { continue }
            groups[entry.except, default: []].append(batch)
        }
        await withTaskGroup(of: Void.self) { group in
            for (except, batches) in groups {
                for target in await membership.randomAlive(settings.fanout, excluding: except) {
                    group.addTask { await self.push(batches, to: target.address) }
                }
            }
        }
    }

    func push(_ batches: [NoteBatch], to address: PeerAddress) async {
        do {
            let receipt = try await send(batches, to: address)
            // The peer lacked what some batches were built on: send exactly what it is missing.
            guard !receipt.behind.isEmpty else { return }
            var repairs: [NoteBatch] = []
            for holding in receipt.behind {
                if let batch = try await notepad.outgoing(holding.note, beyond: holding.have), !batch.changes.isEmpty {
                    repairs.append(batch)
                }
            }
            if !repairs.isEmpty { _ = try await send(repairs, to: address) }
        } catch {
            await failed(address, error)
        }
    }

    private func send(_ batches: [NoteBatch], to address: PeerAddress) async throws -> PeerMessage.GossipReceipt {
        let receipt = try await client.post("gossip", PeerMessage.Gossip(batches: batches), to: address, as: PeerMessage.GossipReceipt.self)
        let changes = batches.reduce(0) { $0 + $1.changes.count }
        metrics.update {
            $0.batchesSent += 1
            $0.changesSent += changes
        }
        await membership.record(.sent, with: address)
        notepad.journal.record(.init(
            at: clock.now(), event: .sent, peer: await label(address), notes: batches.count, changes: changes,
            summary: "gossip: \(changes) change(s) of \(batches.count) note(s); \(receipt.applied) new there"))
        return receipt
    }

    // MARK: - Anti-entropy

    func antiEntropyRound() async throws {
        guard let peer = await membership.randomAlive(1).first else { return }
        try await synchronize(with: peer.address)
    }

    /// Pulls from `address` every change of a shared note it holds and this hub does not;
    /// returns how many changes were applied, or nil when the exchange did not complete (it
    /// failed, or another synchronisation was running: one at a time, so the loops that start
    /// them never pull the same notes twice).
    @discardableResult
    public func synchronize(with address: PeerAddress) async throws -> Int? {
        guard synchronizing.withLock({ busy in
            defer { busy = true }
            return !busy
        }) else { return nil }
        defer { synchronizing.withLock { $0 = false } }
        let mine = try await notepad.syncDigests()
        let answer: PeerMessage.Digest
        do {
            answer = try await client.post(
                "digest", PeerMessage.Digest(root: Self.root(of: mine), count: mine.count), to: address, as: PeerMessage.Digest.self)
        } catch {
            await failed(address, error)
            return nil
        }
        guard let theirs = answer.notes else { return 0 }
        let wanted = theirs.compactMap { key, digest in NoteID(key).flatMap { mine[$0] == digest ? nil : $0 } }
        let pages = stride(from: 0, to: wanted.count, by: PeerMessage.pullLimit).map {
            Array(wanted[$0..<min($0 + PeerMessage.pullLimit, wanted.count)])
        }
        guard !pages.isEmpty else { return 0 }
        @Sendable func pull(_ page: [NoteID]) async throws -> PeerMessage.PullResponse {
            let held = try await notepad.vectors(of: page)
            let holdings = page.map { PeerMessage.Holding(note: $0, have: held[$0] ?? VersionVector()) }
            return try await client.post("pull", PeerMessage.Pull(notes: holdings), to: address, as: PeerMessage.PullResponse.self)
        }
        var applied = 0
        do {
            // The next page is on its way while this one is merged.
            var response = try await pull(pages[0])
            for index in pages.indices {
                async let following = index + 1 < pages.count ? pull(pages[index + 1]) : nil
                applied += try await receive(response.batches, from: address, node: nil, kind: "anti-entropy").applied
                guard let next = try await following else { break }
                response = next
            }
        } catch let error as PeerClient.Failure {
            await failed(address, error)
            return nil
        }
        return applied
    }

    func catchUpRound() async throws {
        let peers = missed.withLock { missed in
            defer { missed.removeAll() }
            return missed
        }
        for (address, theirs) in peers {
            // Having pulled everything the peer held, this hub holds its newest too.
            if try await synchronize(with: address) != nil { newest.advance(to: theirs) }
        }
    }

    /// A peer holds a change newer than any here, made longer ago than gossip takes: this hub
    /// was missed, so it catches up with that peer in the next round.
    func noteNewest(_ theirs: HLCTimestamp?, at address: PeerAddress) {
        guard let theirs, theirs > newest.value, clock.now().timeIntervalSince(theirs.date) > 2 * settings.gossipInterval.seconds
        else { return }
        missed.withLock { $0[address] = max($0[address] ?? theirs, theirs) }
    }

    static func root(of digests: [NoteID: UInt64]) -> UInt64 {
        digests.values.reduce(0, ^)
    }

    // MARK: - Answering peers

    /// `POST /p2p/v1/hello`. `remoteHost` is the address the request came from, used when the
    /// sender listens on every address.
    public func hello(_ hello: PeerMessage.Hello, from node: NodeID, remoteHost: String?) async throws -> PeerMessage.Hello {
        guard hello.node == node else {
            throw HubError.badRequest("the hello names node \(hello.node), but the request is signed by \(node)", code: "invalid_hello")
        }
        if let host = hello.host ?? remoteHost, let address = PeerAddress(host: host, port: hello.port) {
            await membership.add(address, name: hello.name, node: node, source: .gossip)
            await membership.reached(address, node: node, name: hello.name)
            noteNewest(hello.newest, at: address)
        }
        await membership.learn(hello.members)
        return await self.hello()
    }

    /// `POST /p2p/v1/gossip`.
    public func gossip(_ gossip: PeerMessage.Gossip, from node: NodeID) async throws -> PeerMessage.GossipReceipt {
        try Self.checkSize(gossip.batches)
        let address = await membership.heard(from: node)
        let outcome = try await receive(gossip.batches, from: address, node: node, kind: "gossip")
        let held = try await notepad.vectors(of: Array(Set(outcome.behind)))
        let behind = Set(outcome.behind).map { PeerMessage.Holding(note: $0, have: held[$0] ?? VersionVector()) }
        return PeerMessage.GossipReceipt(applied: outcome.applied, behind: behind)
    }

    /// `POST /p2p/v1/digest`: this hub's root digest, and when it differs from the asker's,
    /// every shared note's digest.
    public func digest(_ request: PeerMessage.Digest, from node: NodeID) async throws -> PeerMessage.Digest {
        _ = await membership.heard(from: node)
        let mine = try await notepad.syncDigests()
        let root = Self.root(of: mine)
        guard root != request.root || mine.count != request.count else { return PeerMessage.Digest(root: root, count: mine.count) }
        return PeerMessage.Digest(
            root: root, count: mine.count, notes: Dictionary(uniqueKeysWithValues: mine.map { ($0.key.rawValue, $0.value) }))
    }

    /// `POST /p2p/v1/pull`: what the asker lacks of each note it names, for notes that may leave.
    public func pull(_ request: PeerMessage.Pull, from node: NodeID) async throws -> PeerMessage.PullResponse {
        guard request.notes.count <= PeerMessage.pullLimit else {
            throw HubError(status: 413, code: "pull_too_large", message: "a pull may name at most \(PeerMessage.pullLimit) notes")
        }
        let address = await membership.heard(from: node)
        let batches = try await notepad.outgoing(request.notes.map { ($0.note, $0.have) }).filter { !$0.changes.isEmpty }
        if !batches.isEmpty {
            let changes = batches.reduce(0) { $0 + $1.changes.count }
            metrics.update {
                $0.batchesSent += 1
                $0.changesSent += changes
            }
            if let address { await membership.record(.sent, with: address) }
            notepad.journal.record(.init(
                at: clock.now(), event: .sent, peer: address.map { "\($0)" } ?? node.rawValue, notes: batches.count, changes: changes,
                summary: "anti-entropy: \(changes) change(s) of \(batches.count) note(s) the peer lacked"))
        }
        return PeerMessage.PullResponse(batches: batches)
    }

    /// Merges a peer's batches, logs and counts what happened, and queues what was new for the
    /// next gossip round (gossip only: what anti-entropy pulled, the peer it came from has
    /// already offered to everyone who asks).
    private func receive(
        _ batches: [NoteBatch], from address: PeerAddress?, node: NodeID?, kind: String
    ) async throws -> NotepadService.MergeOutcome {
        let peer = if let address { await label(address) } else { node?.rawValue ?? "unknown peer" }
        let changes = batches.reduce(0) { $0 + $1.changes.count }
        metrics.update { $0.batchesReceived += 1 }
        if let address { await membership.record(.received, with: address) }
        if changes > 0 {
            notepad.journal.record(.init(
                at: clock.now(), event: .received, peer: peer, notes: batches.count, changes: changes,
                summary: "\(kind): \(changes) change(s) of \(batches.count) note(s)"))
        }
        let outcome = try await notepad.merge(batches, from: .peer(peer))
        let now = clock.now()
        for (note, reason) in outcome.refused {
            logger.warning("refused a peer's change", metadata: ["peer": "\(peer)", "note": "\(note)", "reason": "\(reason)"])
            notepad.journal.record(.init(at: now, event: .refused, peer: peer, note: note, summary: reason))
        }
        var newest: HLCTimestamp?
        for batch in batches where outcome.versions[batch.note] != nil {
            for change in batch.changes where newest.map({ change.stamp.clock > $0 }) ?? true { newest = change.stamp.clock }
        }
        let lag = newest.map { max(0, now.timeIntervalSince($0.date)) }
        if let lag { metrics.recordLag(lag) }
        if let newest { self.newest.advance(to: newest) }
        metrics.update {
            $0.changesApplied += outcome.applied
            $0.conflicts += outcome.conflicts
            $0.refused += outcome.refused.count
        }
        if let address {
            await membership.record(.received, with: address, applied: outcome.applied, conflicts: outcome.conflicts, refused: outcome.refused.count, lag: lag)
        }
        if kind == "gossip" {
            for batch in batches {
                guard let versions = outcome.versions[batch.note] else { continue }
                var except = Set(batch.changes.map(\.stamp.node))
                if let node { except.insert(node) }
                outbox.add(batch.note, from: versions.lowerBound, except: except)
            }
        }
        return outcome
    }

    /// A refused peer request (bad signature, stale, replayed), for the log and the metrics.
    public func refused(_ reason: String, from remote: String) async {
        metrics.update { $0.refused += 1 }
        logger.warning("refused a peer request", metadata: ["from": "\(remote)", "reason": "\(reason)"])
        notepad.journal.record(.init(at: clock.now(), event: .refused, peer: remote, summary: reason))
    }

    private func label(_ address: PeerAddress) async -> String {
        let name = await membership.name(of: address)
        return name == address.description ? name : "\(name) (\(address))"
    }

    static func checkSize(_ batches: [NoteBatch]) throws {
        guard batches.count <= maxBatches, batches.reduce(0, { $0 + $1.changes.count }) <= maxChanges else {
            throw HubError(
                status: 413, code: "batch_too_large", message: "a gossip request may carry at most \(maxBatches) notes and \(maxChanges) changes")
        }
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
