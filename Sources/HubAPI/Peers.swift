import Foundation
import HubCore

/// `GET /api/v1/peers`: this hub, its peers with their failure-detector state, and the sync
/// figures.
public struct PeersResource: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var node: NodeID
    public var name: String
    public var port: Int?
    public var peers: [PeerStatus]
    public var metrics: SyncMetricsSnapshot?

    public init(enabled: Bool, node: NodeID, name: String, port: Int? = nil, peers: [PeerStatus], metrics: SyncMetricsSnapshot? = nil) {
        self.enabled = enabled
        self.node = node
        self.name = name
        self.port = port
        self.peers = peers
        self.metrics = metrics
    }
}

/// `POST /api/v1/peers` (admins).
public struct AddPeerRequest: Codable, Sendable {
    public var name: String
    /// `host:port`, the peer's `P2P_PORT`.
    public var address: String

    public init(name: String, address: String) {
        self.name = name
        self.address = address
    }
}

/// `GET /api/v1/sync/log`, newest first.
public struct SyncLogResource: Codable, Sendable, Equatable {
    public var entries: [SyncLogEntry]
    /// Pass as `before` for the next (older) page; absent on the last.
    public var next: Int64?

    public init(entries: [SyncLogEntry], next: Int64?) {
        self.entries = entries
        self.next = next
    }
}

// MARK: - Schemas

extension PeersResource: DocumentedSchema {
    public static let schemaName = "Peers"
    public static let schema = JSONSchema.object([
        "enabled": .boolean("Whether the peer network is on (`P2P_ENABLED`)."), "node": NodeID.schema, "name": .string("This hub's name."),
        "port": JSONSchema.integer("The peer port (`P2P_PORT`).", minimum: 1, maximum: 65_535).optional, "peers": .array(.ref(PeerStatus.self)),
        "metrics": JSONSchema.ref(SyncMetricsSnapshot.self).optional,
    ])
}

extension AddPeerRequest: DocumentedSchema {
    public static let schema = JSONSchema.object(
        open: true,
        [
            "name": .string("1 to 63 characters on one line.", maxLength: 63, pattern: "^[^\\n\\r\\u000b\\u000c\\u0085\\u2028-\\u2029]*\\S[^\\n\\r\\u000b\\u000c\\u0085\\u2028-\\u2029]*$"),
            "address": PeerAddress.schema.described("`host:port` or `[v6 address]:port`: the peer's `P2P_PORT`."),
        ])
}

extension SyncLogResource: DocumentedSchema {
    public static let schemaName = "SyncLog"
    public static let schema = JSONSchema.object([
        "entries": .array(.ref(SyncLogEntry.self), "Newest first."),
        "next": JSONSchema.integer("Pass as `before` for the next, older page; absent on the last.", minimum: 1).optional,
    ])
}

extension PeerAddress {
    /// As `PeerAddress(_:)` reads it: a host without spaces or URL punctuation, and a port from
    /// 1 to 65535.
    static let schema: JSONSchema = {
        let port = "\\+?0*(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
        let host = "[^\\s/?#@\\[\\]:]{1,253}"
        let v6 = "\\[[^\\s/?#@\\[\\]]{1,253}\\]"
        return JSONSchema.string(pattern: "^[ \\t]*(?:\(host)|\(v6)):\(port)[ \\t]*$").example("192.168.1.20:6881")
    }()
}

extension NodeID {
    static let schema = JSONSchema.string("A hub's node id: 32 lowercase hex digits.", pattern: "^[0-9a-f]{32}$").example("9d2f64b0c1e84a7395f1d03b6ae2c458")
}

extension PeerStatus: DocumentedSchema {
    public static let schemaName = "Peer"
    public static let schema = JSONSchema.object([
        "address": JSONSchema.string("`host:port`.").example("192.168.1.20:6881"), "name": .string(), "node": NodeID.schema.optional, "source": .oneOf(PeerSource.self),
        "state": .oneOf(PeerState.self), "firstSeen": .dateTime(), "lastContact": .dateTime().optional, "failures": .count(),
        "lastError": .string().optional, "nextProbe": .dateTime(), "lagSeconds": .number().optional, "batchesSent": .count(),
        "batchesReceived": .count(), "changesApplied": .count(), "conflicts": .count(), "refused": .count(),
        "keptForOthers": JSONSchema.object(
            "What the peer last said it keeps whole of others' videos.", ["videos": .count(), "bytes": .count()]
        ).optional,
    ])
}

extension SyncMetricsSnapshot: DocumentedSchema {
    public static let schemaName = "SyncMetrics"
    public static let schema = JSONSchema.object([
        "discoverySeconds": .number("From start until a peer first answered.", minimum: 0).optional,
        "batchesSent": .count(), "batchesReceived": .count(), "changesSent": .count(), "changesApplied": .count(), "conflicts": .count(),
        "refused": .count(), "failures": .count(), "blocksSent": .count(), "blockBytesSent": .count(), "blocksFetched": .count(),
        "blockBytesFetched": .count(), "blocksRefused": .count(),
        "lagSeconds": .number().optional, "lagP50Seconds": .number().optional, "lagP99Seconds": .number().optional,
    ])
}

extension SyncLogEntry: DocumentedSchema {
    public static let schemaName = "SyncLogEntry"
    public static let schema = JSONSchema.object([
        "id": JSONSchema.integer(minimum: 1).optional, "at": .dateTime(), "event": .oneOf(Event.self),
        "peer": .string("`name (host:port)`, for exchanges.").optional, "note": JSONSchema.uuid().optional,
        "version": JSONSchema.integer(minimum: 1).optional, "node": NodeID.schema.optional, "author": .string().optional,
        "notes": JSONSchema.count().optional, "changes": JSONSchema.count().optional, "summary": .string(),
    ])
}
