import Foundation
import HubCore
import Logging

/// The answers to peers' requests, which the peer listener calls once a request's signature is
/// checked, and the merging of what they bring.
extension PeerNetwork {
    /// `POST /p2p/v1/hello`. `remoteHost` is the address the request came from, used when the
    /// sender listens on every address.
    public func hello(_ hello: PeerMessage.Hello, from node: NodeID, remoteHost: String?) async throws -> PeerMessage.Hello {
        guard hello.node == node else {
            throw InvalidInput("the hello names node \(hello.node), but the request is signed by \(node)", code: "invalid_hello")
        }
        guard PeerMessage.isValidName(hello.name), (1...65_535).contains(hello.port), hello.members.count <= 1_000 else {
            throw InvalidInput("a hello needs a name of 1 to 63 printable bytes, a port and at most 1000 members", code: "invalid_hello")
        }
        // Authors are `name@node-name`, and changes naming this hub's name are refused as forged:
        // two hubs with one name would silently refuse each other's authors. Say so instead.
        if hello.node != identity.id, hello.name == identity.name {
            let message = Self.duplicateName(identity.name, other: node)
            await refused(message, from: remoteHost ?? node.rawValue)
            throw PeerError.duplicateNodeName(message)
        }
        if let host = hello.host ?? remoteHost, let address = PeerAddress(host: host, port: hello.port) {
            await membership.add(address, name: hello.name, node: node, source: .gossip)
            await membership.reached(address, node: node, name: hello.name, kept: hello.keptForOthers)
            noteNewest(hello.newest, at: address)
        }
        await membership.learn(hello.members)
        return await ownHello()
    }

    /// `POST /p2p/v1/gossip`.
    public func gossip(_ gossip: PeerMessage.Gossip, from node: NodeID) async throws -> PeerMessage.GossipReceipt {
        try Self.checkSize(gossip.batches)
        let address = await membership.heard(from: node)
        let outcome = try await receive(gossip.batches, from: address, node: node, by: .gossip)
        let held = try await notepad.vectors(of: Array(Set(outcome.behind)))
        let behind = Set(outcome.behind).map { PeerMessage.Holding(note: $0, have: held[$0] ?? VersionVector()) }
        return PeerMessage.GossipReceipt(applied: outcome.applied, behind: behind)
    }

    /// `POST /p2p/v1/digest`: this hub's root digest, and when it differs from the asker's,
    /// every shared note's digest.
    public func digest(_ request: PeerMessage.Digest, from node: NodeID) async throws -> PeerMessage.Digest {
        _ = await membership.heard(from: node)
        let answer = Self.digestAnswer(try await notepad.syncDigests(), against: request.root, count: request.count)
        return PeerMessage.Digest(root: answer.root, count: answer.count, notes: answer.items)
    }

    /// `POST /p2p/v1/pull`: what the asker lacks of each note it names, for notes that may leave.
    public func pull(_ request: PeerMessage.Pull, from node: NodeID) async throws -> PeerMessage.PullResponse {
        guard request.notes.count <= PeerMessage.pullLimit else {
            throw PeerError.pullTooLarge(limit: PeerMessage.pullLimit)
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
            notepad.recordSync(.init(
                at: clock.now(), event: .sent, peer: address.map { "\($0)" } ?? node.rawValue, notes: batches.count, changes: changes,
                summary: "anti-entropy: \(changes) change(s) of \(batches.count) note(s) the peer lacked"))
        }
        return PeerMessage.PullResponse(batches: batches)
    }

    /// How a peer's batches came.
    enum Delivery: String {
        case gossip
        case antiEntropy = "anti-entropy"
    }

    /// Merges a peer's batches, logs and counts what happened, and queues what was new for the
    /// next gossip round (gossip only: what anti-entropy pulled, the peer it came from has
    /// already offered to everyone who asks).
    func receive(
        _ batches: [NoteBatch], from address: PeerAddress?, node: NodeID?, by delivery: Delivery
    ) async throws -> NoteMergeOutcome {
        let peer = if let address { await label(address) } else { node?.rawValue ?? "unknown peer" }
        let changes = batches.reduce(0) { $0 + $1.changes.count }
        metrics.update { $0.batchesReceived += 1 }
        if changes > 0 {
            notepad.recordSync(.init(
                at: clock.now(), event: .received, peer: peer, notes: batches.count, changes: changes,
                summary: "\(delivery.rawValue): \(changes) change(s) of \(batches.count) note(s)"))
        }
        let outcome = try await notepad.merge(batches, fromPeer: peer)
        let now = clock.now()
        for (note, reason) in outcome.refused {
            logger.warning("refused a peer's change", metadata: ["peer": "\(peer)", "note": "\(note)", "reason": "\(reason)"])
            notepad.recordSync(.init(at: now, event: .refused, peer: peer, note: note, summary: reason))
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
        if delivery == .gossip {
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
        // Counted every time, written at most once a minute per sender: 2,000 unsigned
        // requests are one line of the sync log and the server log, not 2,000.
        guard let folded = refusals.admit(remote, at: clock.now()) else { return }
        let summary = folded == 0 ? reason : "\(reason) (and \(folded) more refused from \(remote) in the last minute)"
        logger.warning("refused a peer request", metadata: ["from": "\(remote)", "reason": "\(summary)"])
        notepad.recordSync(.init(at: clock.now(), event: .refused, peer: remote, summary: summary))
    }

    static func duplicateName(_ name: String, other: NodeID) -> String {
        "node \(other) is also named '\(name)': P2P_NODE_NAME must differ on every hub of a cluster"
    }

    func label(_ address: PeerAddress) async -> String {
        let name = await membership.name(of: address)
        return name == address.description ? name : "\(name) (\(address))"
    }

    static func checkSize(_ batches: [NoteBatch]) throws {
        guard batches.count <= maxBatches, batches.reduce(0, { $0 + $1.changes.count }) <= maxChanges else {
            throw PeerError.batchTooLarge(notes: maxBatches, changes: maxChanges)
        }
    }
}
