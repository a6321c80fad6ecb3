import Foundation
import HubCore
import HubNotes
import HubSync
import Hummingbird

/// `/peers`: this hub's node, its peers (state, last contact, lag, conflicts), the sync figures
/// and the latest sync log entries; admins add peers from it.
struct PeerPageController: Sendable {
    let network: PeerNetwork?
    let peerVideos: PeerVideos?
    let notepad: NotepadService
    let clock: any WallClock
    let renderer: PageRenderer

    func addRoutes(to router: RouterGroup<SignedInPageContext>) {
        router.get("peers", use: show)
    }

    @Sendable func show(_ request: Request, context: SignedInPageContext) async throws -> Response {
        let status = await network?.status()
        let now = clock.now()
        func ago(_ date: Date?) -> String {
            guard let date else { return "never" }
            let seconds = max(0, Int(now.timeIntervalSince(date)))
            return seconds < 60 ? "\(seconds) s ago" : seconds < 3_600 ? "\(seconds / 60) min ago" : "\(seconds / 3_600) h ago"
        }
        func seconds(_ value: Double?) -> String {
            value.map { $0 < 1 ? "\(Int(($0 * 1000).rounded())) ms" : String(format: "%.1f s", $0) } ?? "–"
        }
        let peers = (status?.peers ?? []).map { peer in
            PeersPage.Peer(
                name: peer.name, address: peer.address.description, node: peer.node?.rawValue ?? "not yet known", state: peer.state.rawValue,
                source: peer.source.rawValue, lastContact: ago(peer.lastContact), lag: seconds(peer.lagSeconds), conflicts: peer.conflicts,
                sent: peer.batchesSent, received: peer.batchesReceived, applied: peer.changesApplied, refused: peer.refused, error: peer.lastError,
                keptForOthers: peer.keptForOthers.map { "\($0.videos) (\(Format.bytes($0.bytes)))" } ?? "–")
        }
        let entries = try await notepad.journal.recent(limit: 50, before: nil).map { entry in
            PeersPage.Entry(
                at: entry.at.formatted(.iso8601), event: entry.event.rawValue, peer: entry.peer ?? "", note: entry.note?.rawValue,
                noteShort: entry.note.map { String($0.rawValue.prefix(8)) } ?? "", version: entry.version.map(String.init) ?? "",
                author: entry.author ?? "", summary: entry.summary)
        }
        let blocks = peerVideos?.cache
        let cached = await blocks?.usage
        let holding = peerVideos?.kept.holding
        let figures = status.map { status in
            let metrics = status.metrics
            return PeersPage.Figures(
                discovery: seconds(metrics.discoverySeconds), lagP50: seconds(metrics.lagP50Seconds), lagP99: seconds(metrics.lagP99Seconds),
                sent: metrics.batchesSent, received: metrics.batchesReceived, applied: metrics.changesApplied, conflicts: metrics.conflicts,
                refused: metrics.refused, failures: metrics.failures,
                blocksSent: "\(metrics.blocksSent) (\(Format.bytes(metrics.blockBytesSent)))",
                blocksFetched: "\(metrics.blocksFetched) (\(Format.bytes(metrics.blockBytesFetched)))", blocksRefused: metrics.blocksRefused,
                blockCache: cached.map { "\($0.blocks) blocks, \(Format.bytes($0.bytes)) of \(Format.bytes(blocks?.budget ?? 0))" } ?? "–",
                keptForOthers: holding.map { "\($0.videos) (\(Format.bytes($0.bytes)))" } ?? "–", replicas: peerVideos?.replicas ?? 0)
        }
        let view = PeersPage(
            enabled: status != nil, node: notepad.node.id.rawValue, name: notepad.node.name, port: status?.port, metrics: figures,
            peers: peers, noPeers: peers.isEmpty, entries: entries, noEntries: entries.isEmpty, isAdmin: context.user.isAdmin)
        return renderer.page(view, for: context.identity)
    }
}
