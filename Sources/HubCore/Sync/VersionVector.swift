/// The latest clock seen from each node in one note's history. Hubs apply a note's changes in
/// causal order (a change only after every change it was made on top of), and each node's
/// changes to a note follow one another, so a vector describes exactly which changes a hub
/// holds: those whose clock is at or below their node's entry. Peers compare vectors to send
/// only what is missing and to tell whether a batch can be applied yet.
public struct VersionVector: Sendable, Hashable, Codable {
    public private(set) var clocks: [NodeID: HLCTimestamp]

    public init(_ clocks: [NodeID: HLCTimestamp] = [:]) {
        self.clocks = clocks
    }

    public init(_ stamps: some Sequence<ChangeStamp>) {
        self.init()
        for stamp in stamps { record(stamp) }
    }

    public mutating func record(_ stamp: ChangeStamp) {
        if clocks[stamp.node].map({ $0 < stamp.clock }) ?? true { clocks[stamp.node] = stamp.clock }
    }

    /// Whether the change with this stamp is among those the vector describes.
    public func covers(_ stamp: ChangeStamp) -> Bool {
        clocks[stamp.node].map { stamp.clock <= $0 } ?? false
    }

    /// Whether every change `other` describes is described here too.
    public func dominates(_ other: VersionVector) -> Bool {
        other.clocks.allSatisfy { node, clock in clocks[node].map { clock <= $0 } ?? false }
    }

    // Encoded as {"node id": clock}, the compact form peers exchange.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode([String: UInt64].self)
        var clocks: [NodeID: HLCTimestamp] = [:]
        for (key, value) in raw {
            guard let node = NodeID(key) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(key)' is not a node id"))
            }
            clocks[node] = HLCTimestamp(rawValue: value)
        }
        self.clocks = clocks
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Dictionary(uniqueKeysWithValues: clocks.map { ($0.key.rawValue, $0.value.rawValue) }))
    }
}

extension ChangeStamp {
    /// A stable 64-bit hash of the stamp (the same on every hub and every run, unlike
    /// `Hasher`). A note's sync digest is the XOR of its changes' hashes: order-free, so two
    /// hubs holding the same changes agree however they received them, and kept up to date
    /// with one XOR per recorded change.
    public var digest: UInt64 {
        let hex = node.rawValue
        let high = UInt64(hex.prefix(16), radix: 16) ?? 0
        let low = UInt64(hex.suffix(16), radix: 16) ?? 0
        var first = SplitMix64(seed: clock.rawValue ^ high)
        var second = SplitMix64(seed: first.next() ^ low)
        return second.next()
    }
}
