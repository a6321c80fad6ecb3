import Foundation

/// A hub's identity in the peer network and in every change it makes: 128 random bits as 32
/// lowercase hex digits, generated once and kept in `HUB_DATA_DIR/node_id`.
public struct NodeID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard rawValue.utf8.count == 32, rawValue.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return nil
        }
        self.rawValue = rawValue
    }

    public static func random() -> NodeID {
        var generator = SystemRandomNumberGenerator()
        return NodeID((0..<16).map { _ in generator.next() as UInt8 }.hexEncoded)!
    }

    /// The id this node's characters carry in a note's text CRDT. The first 64 bits of a random
    /// id: two nodes would collide once in 2^32 pairs of hubs.
    public var replica: ReplicaID { ReplicaID(rawValue.prefix(16), radix: 16)! }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        guard let id = NodeID(string) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a node id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// This hub as it appears in notes' histories and to peers: its id and its name
/// (`P2P_NODE_NAME`), which makes authors readable as `name@node-name`.
extension NodeID {
    /// The hub setting that holds the node id of a deployment whose instances share PostgreSQL
    /// (a hub on SQLite keeps its id in a file in `HUB_DATA_DIR`).
    public static let settingName = "nodeID"
}

public struct NodeIdentity: Sendable, Equatable {
    public var id: NodeID
    public var name: String

    public init(id: NodeID, name: String) {
        self.id = id
        self.name = name
    }

    public func author(_ user: User) -> String { "\(user.name)@\(name)" }
}
