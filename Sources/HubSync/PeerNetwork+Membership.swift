import Foundation
import HubCore
import Logging

/// Who the peers are: the ones configured or added, and the failure detector's probes (hellos,
/// which also carry membership lists and the newest change held).
extension PeerNetwork {
    @Sendable func loadPeers() async throws {
        for seed in settings.seeds { await membership.add(seed, name: nil, source: .configured) }
        for (name, address) in try await peerStore.all() {
            if let address = PeerAddress(address) { await membership.add(address, name: name, source: .added) }
        }
    }

    /// `POST /api/v1/peers` and `streamhub peers add`: a peer named by hand. Kept across
    /// restarts and probed at once.
    public func add(name: String, address: PeerAddress) async throws {
        try await peerStore.save(name: name, address: address.description, at: clock.now())
        await membership.add(address, name: name, source: .added)
        await probe(address, with: await ownHello())
    }

    /// This hub as it introduces itself: its node, where to reach it, the peers it knows and the
    /// newest change it holds.
    func ownHello() async -> PeerMessage.Hello {
        PeerMessage.Hello(
            node: identity.id, name: identity.name, port: settings.port, host: settings.advertisedHost, members: await membership.members(),
            newest: newest.value, keptForOthers: kept.map { KeptForOthers(videos: $0.holding.videos, bytes: $0.holding.bytes) })
    }

    func probeRound() async {
        let due = await membership.due()
        guard !due.isEmpty else { return }
        let hello = await ownHello()
        await withTaskGroup(of: Void.self) { group in
            for address in due {
                group.addTask { await self.probe(address, with: hello) }
            }
        }
    }

    func probe(_ address: PeerAddress, with hello: PeerMessage.Hello) async {
        let answer: PeerMessage.Hello
        do {
            answer = try await transport.send(hello, to: address)
        } catch {
            await failed(address, error)
            return
        }
        guard answer.node != identity.id else {
            await membership.isOwn(address)
            return
        }
        guard answer.name != identity.name else {
            metrics.update { $0.failures += 1 }
            await membership.failed(address, error: Self.duplicateName(identity.name, other: answer.node))
            logger.warning("a peer has this hub's name", metadata: ["peer": "\(address)", "node": "\(answer.node)"])
            return
        }
        let isNew = await membership.reached(address, node: answer.node, name: answer.name, kept: answer.keptForOthers)
        await membership.learn(answer.members)
        guard isNew else { return noteNewest(answer.newest, at: address) }
        // A peer just found, or back after a while: compare notes now rather than at the next
        // anti-entropy round, so a new or returning hub catches up at once. (The peer answered:
        // a failure here is this hub's, not a sign the peer is down.)
        do {
            try await synchronize(with: address)
        } catch {
            logger.warning("could not catch up with a peer", metadata: ["peer": "\(address)", "error": "\(error)"])
        }
    }

    func failed(_ address: PeerAddress, _ error: any Error) async {
        metrics.update { $0.failures += 1 }
        await membership.failed(address, error: "\(error)")
        logger.debug("a peer did not answer", metadata: ["peer": "\(address)", "error": "\(error)"])
    }
}
