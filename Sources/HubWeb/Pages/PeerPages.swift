/// `/peers`: this hub, its peers, the sync figures and the latest of the sync log.
struct PeersPage: PageView {
    static let template = "peers"

    struct Peer: Sendable {
        var name: String
        var address: String
        var node: String
        var state: String
        var source: String
        var lastContact: String
        var lag: String
        var conflicts: Int
        var sent: Int
        var received: Int
        var applied: Int
        var refused: Int
        var error: String?
        /// Peers' videos it keeps whole for others, as it last announced.
        var keptForOthers: String
    }

    struct Entry: Sendable {
        var at: String
        var event: String
        var peer: String
        var note: String?
        var noteShort: String
        var version: String
        var author: String
        var summary: String
    }

    struct Figures: Sendable {
        var discovery: String
        var lagP50: String
        var lagP99: String
        var sent: Int
        var received: Int
        var applied: Int
        var conflicts: Int
        var refused: Int
        var failures: Int
        /// Peers' video blocks: sent to them, fetched from them, and refused (corrupt, missing).
        var blocksSent: String
        var blocksFetched: String
        var blocksRefused: Int
        /// The cache of peers' blocks against `P2P_BLOCK_CACHE_BYTES`.
        var blockCache: String
        /// Peers' videos this hub keeps whole for others, and `P2P_VIDEO_REPLICAS`.
        var keptForOthers: String
        var replicas: Int
    }

    var pageTitle = "Peers"
    var enabled: Bool
    var node: String
    var name: String
    var port: Int?
    var metrics: Figures?
    var peers: [Peer]
    var noPeers: Bool
    var entries: [Entry]
    var noEntries: Bool
    var isAdmin: Bool
}
