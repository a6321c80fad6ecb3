import Foundation
import HubCore
import Logging
import Synchronization

/// The shared video catalogue between hubs, by the same two paths as shared notes: gossip pushes
/// entries changed here (and entries new to this hub, once) to a few random alive peers each
/// round, and anti-entropy compares a digest of every entry with a random peer's and pulls the
/// entries that differ. Entries are whole and merge register by register, so a duplicate, a
/// late or an out-of-order delivery changes nothing.
extension PeerNetwork {
    func catalogueGossipRound() async throws {
        let pending = catalogueOutbox.drain()
        guard !pending.isEmpty else { return }
        var groups: [Set<NodeID>: [VideoID]] = [:]
        for (video, except) in pending { groups[except, default: []].append(video) }
        await withTaskGroup(of: Void.self) { group in
            for (except, videos) in groups {
                for page in Self.pages(of: videos) {
                    let entries: [CatalogueEntry]
                    do {
                        entries = try await catalogue.entries(page)
                    } catch {
                        logger.warning("could not read catalogue entries to gossip", metadata: ["error": "\(error)"])
                        continue
                    }
                    guard !entries.isEmpty else { continue }
                    // The hubs the videos come from hold them already.
                    let skip = except.union(entries.map(\.origin))
                    for target in await membership.randomAlive(settings.fanout, excluding: skip) {
                        group.addTask { await self.pushCatalogue(entries, to: target.address) }
                    }
                }
            }
        }
    }

    private func pushCatalogue(_ entries: [CatalogueEntry], to address: PeerAddress) async {
        do {
            let receipt = try await transport.send(PeerMessage.CatalogueEntries(entries: entries), to: address)
            await membership.record(.sent, with: address)
            notepad.recordSync(.init(
                at: clock.now(), event: .sent, peer: await label(address),
                summary: "catalogue gossip: \(entries.count) shared video(s); \(receipt.applied) new there"))
        } catch {
            await failed(address, error)
        }
    }

    /// Compares catalogue digests with `address` and pulls the entries that differ; returns how
    /// many changed here, or nil when the exchange failed.
    @discardableResult
    public func synchronizeCatalogue(with address: PeerAddress) async throws -> Int? {
        let mine = try await catalogue.digests()
        let answer: PeerMessage.CatalogueDigest
        do {
            answer = try await transport.send(PeerMessage.CatalogueDigest(root: Self.root(of: mine), count: mine.count), to: address)
        } catch {
            await failed(address, error)
            return nil
        }
        guard let theirs = answer.videos else { return 0 }
        let wanted = theirs.compactMap { key, digest in VideoID(key).flatMap { mine[$0] == digest ? nil : $0 } }
        var changed = 0
        do {
            for page in Self.pages(of: wanted) {
                let response = try await transport.send(PeerMessage.CataloguePull(videos: page), to: address)
                changed += try await receiveCatalogue(response.entries, from: address, node: nil, by: .antiEntropy)
            }
        } catch let error as PeerUnanswered {
            await failed(address, error)
            return nil
        }
        return changed
    }

    // MARK: - Answers

    /// `POST /p2p/v1/catalogue`.
    public func catalogueGossip(_ message: PeerMessage.CatalogueEntries, from node: NodeID) async throws -> PeerMessage.CatalogueReceipt {
        guard message.entries.count <= PeerMessage.catalogueLimit else { throw PeerError.catalogueTooLarge(limit: PeerMessage.catalogueLimit) }
        let address = await membership.heard(from: node)
        return PeerMessage.CatalogueReceipt(applied: try await receiveCatalogue(message.entries, from: address, node: node, by: .gossip))
    }

    /// `POST /p2p/v1/catalogue/digest`.
    public func catalogueDigest(_ request: PeerMessage.CatalogueDigest, from node: NodeID) async throws -> PeerMessage.CatalogueDigest {
        _ = await membership.heard(from: node)
        let answer = Self.digestAnswer(try await catalogue.digests(), against: request.root, count: request.count)
        return PeerMessage.CatalogueDigest(root: answer.root, count: answer.count, videos: answer.items)
    }

    /// `POST /p2p/v1/catalogue/pull`. Every entry held may travel: tombstones carry no text.
    public func cataloguePull(_ request: PeerMessage.CataloguePull, from node: NodeID) async throws -> PeerMessage.CatalogueEntries {
        guard request.videos.count <= PeerMessage.catalogueLimit else { throw PeerError.catalogueTooLarge(limit: PeerMessage.catalogueLimit) }
        _ = await membership.heard(from: node)
        return PeerMessage.CatalogueEntries(entries: try await catalogue.entries(request.videos))
    }

    /// Merges a peer's entries, logs what changed and what was refused, and (for gossip) queues
    /// what was new to pass on to peers other than the sender and the videos' origins.
    func receiveCatalogue(_ entries: [CatalogueEntry], from address: PeerAddress?, node: NodeID?, by delivery: Delivery) async throws -> Int {
        guard !entries.isEmpty else { return 0 }
        let peer = if let address { await label(address) } else { node?.rawValue ?? "unknown peer" }
        let outcome = try await catalogue.merge(entries, fromPeer: peer)
        let now = clock.now()
        if !outcome.changed.isEmpty {
            notepad.recordSync(.init(
                at: now, event: .received, peer: peer,
                summary: "\(delivery.rawValue): \(outcome.changed.count) shared video(s) new or changed in the catalogue"))
        }
        for (video, reason) in outcome.refused {
            notepad.recordSync(.init(at: now, event: .refused, peer: peer, summary: "catalogue entry of video \(video): \(reason)"))
        }
        metrics.update { $0.refused += outcome.refused.count }
        if let address {
            await membership.record(.received, with: address, applied: outcome.changed.count, conflicts: 0, refused: outcome.refused.count, lag: nil)
        }
        if delivery == .gossip {
            let origins = Dictionary(entries.map { ($0.video, $0.origin) }, uniquingKeysWith: { first, _ in first })
            for video in outcome.changed {
                var except: Set<NodeID> = origins[video].map { [$0] } ?? []
                if let node { except.insert(node) }
                catalogueOutbox.add(video, except: except)
            }
        }
        return outcome.changed.count
    }

    static func pages(of videos: [VideoID]) -> [[VideoID]] {
        stride(from: 0, to: videos.count, by: PeerMessage.catalogueLimit).map {
            Array(videos[$0..<min($0 + PeerMessage.catalogueLimit, videos.count)])
        }
    }
}

/// Videos whose catalogue entries to gossip in the next round, with the nodes not to send them
/// to (the peer they came from and their origin already hold them).
final class CatalogueOutbox: Sendable {
    private let pending = Mutex<[VideoID: Set<NodeID>]>([:])

    func add(_ video: VideoID, except: Set<NodeID> = []) {
        pending.withLock { pending in pending[video] = pending[video].map { $0.intersection(except) } ?? except }
    }

    func drain() -> [VideoID: Set<NodeID>] {
        pending.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
    }
}
