import Foundation
import HubCore
import Logging

/// Gossip: each round, the notes changed since the last one go to a few random alive peers.
extension PeerNetwork {
    func gossipRound() async throws {
        let pending = outbox.drain()
        guard !pending.isEmpty else { return }
        // Notes passed on from one sender share their exclusions: one set of targets per group.
        var groups: [Set<NodeID>: [NoteBatch]] = [:]
        for (id, entry) in pending {
            guard let batch = try await notepad.outgoing(id, from: entry.from, beyond: nil), !batch.changes.isEmpty else { continue }
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
                if let batch = try await notepad.outgoing(holding.note, from: 1, beyond: holding.have), !batch.changes.isEmpty {
                    repairs.append(batch)
                }
            }
            if !repairs.isEmpty { _ = try await send(repairs, to: address) }
        } catch {
            await failed(address, error)
        }
    }

    func send(_ batches: [NoteBatch], to address: PeerAddress) async throws -> PeerMessage.GossipReceipt {
        let receipt = try await transport.send(PeerMessage.Gossip(batches: batches), to: address)
        let changes = batches.reduce(0) { $0 + $1.changes.count }
        metrics.update {
            $0.batchesSent += 1
            $0.changesSent += changes
        }
        await membership.record(.sent, with: address)
        notepad.recordSync(.init(
            at: clock.now(), event: .sent, peer: await label(address), notes: batches.count, changes: changes,
            summary: "gossip: \(changes) change(s) of \(batches.count) note(s); \(receipt.applied) new there"))
        return receipt
    }
}
