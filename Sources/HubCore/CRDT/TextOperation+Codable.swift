/// The stored and wire form of text operations. Ids are "replica-hex:counter" strings: replica
/// ids use all 64 bits, more than a JSON number carries exactly in most readers.
extension CharacterID {
    var encoded: String { "\(String(replica, radix: 16)):\(counter)" }

    init?(encoded: String) {
        guard let colon = encoded.firstIndex(of: ":"),
            let replica = ReplicaID(encoded[..<colon], radix: 16),
            let counter = UInt32(encoded[encoded.index(after: colon)...])
        else { return nil }
        self.init(replica: replica, counter: counter)
    }
}

extension TextOperation: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, after, before, text
        case replica, from, to
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func id(_ key: CodingKeys) throws -> CharacterID? {
            guard let raw = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let id = CharacterID(encoded: raw) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a character id")
            }
            return id
        }
        if let first = try id(.id) {
            let text = try container.decode(String.self, forKey: .text)
            guard !text.isEmpty, first.counter <= UInt32.max - UInt32(min(text.unicodeScalars.count, Int(UInt32.max))) else {
                throw DecodingError.dataCorruptedError(forKey: .text, in: container, debugDescription: "empty or overflowing insert")
            }
            self = .insert(first: first, after: try id(.after), before: try id(.before), text: Array(text.unicodeScalars))
        } else {
            guard let replica = ReplicaID(try container.decode(String.self, forKey: .replica), radix: 16) else {
                throw DecodingError.dataCorruptedError(forKey: .replica, in: container, debugDescription: "not a replica id")
            }
            let from = try container.decode(UInt32.self, forKey: .from)
            let to = try container.decode(UInt32.self, forKey: .to)
            guard from <= to else {
                throw DecodingError.dataCorruptedError(forKey: .to, in: container, debugDescription: "an empty range")
            }
            self = .delete(replica: replica, counters: from...to)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .insert(let first, let after, let before, let text):
            try container.encode(first.encoded, forKey: .id)
            try container.encodeIfPresent(after?.encoded, forKey: .after)
            try container.encodeIfPresent(before?.encoded, forKey: .before)
            try container.encode(String(scalars: text), forKey: .text)
        case .delete(let replica, let counters):
            try container.encode(String(replica, radix: 16), forKey: .replica)
            try container.encode(counters.lowerBound, forKey: .from)
            try container.encode(counters.upperBound, forKey: .to)
        }
    }
}
