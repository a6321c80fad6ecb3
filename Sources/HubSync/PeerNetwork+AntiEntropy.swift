import Foundation
import HubCore
import Logging
import Synchronization

/// Anti-entropy: digests compared with a random peer, and what differs pulled, a page at a time.
extension PeerNetwork {
    func antiEntropyRound() async throws {
        guard let peer = await membership.randomAlive(1).first else { return }
        try await synchronize(with: peer.address)
        try await synchronizeCatalogue(with: peer.address)
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
            answer = try await transport.send(PeerMessage.Digest(root: Self.root(of: mine), count: mine.count), to: address)
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
            return try await transport.send(PeerMessage.Pull(notes: holdings), to: address)
        }
        var applied = 0
        do {
            // The next page is on its way while this one is merged.
            var response = try await pull(pages[0])
            for index in pages.indices {
                async let following = index + 1 < pages.count ? pull(pages[index + 1]) : nil
                applied += try await receive(response.batches, from: address, node: nil, by: .antiEntropy).applied
                guard let next = try await following else { break }
                response = next
            }
        } catch let error as PeerUnanswered {
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

    /// One number for a set of digests (notes' or catalogue entries'): their XOR.
    static func root<ID>(of digests: [ID: UInt64]) -> UInt64 {
        digests.values.reduce(0, ^)
    }

    /// Anti-entropy's answer to a peer's root and count: this hub's, and when either differs,
    /// every item's digest by id, so the asker pulls exactly what differs.
    static func digestAnswer<ID: RandomIdentifier>(
        _ mine: [ID: UInt64], against root: UInt64, count: Int
    ) -> (root: UInt64, count: Int, items: [String: UInt64]?) {
        let own = Self.root(of: mine)
        guard own != root || mine.count != count else { return (own, mine.count, nil) }
        return (own, mine.count, Dictionary(uniqueKeysWithValues: mine.map { ($0.key.rawValue, $0.value) }))
    }
}
