import Foundation

/// Identifies a note on every hub it travels to: a random UUID, minted without coordination.
public struct NoteID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init() { self.rawValue = UUID().uuidString.lowercased() }

    /// Accepts only the canonical lowercase UUID form, so an id from a URL or a peer can name a
    /// mirror file without escaping.
    public init?(_ rawValue: String) {
        guard rawValue.count == 36, let uuid = UUID(uuidString: rawValue), uuid.uuidString.lowercased() == rawValue else {
            return nil
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        guard let id = NoteID(string) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a note id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
