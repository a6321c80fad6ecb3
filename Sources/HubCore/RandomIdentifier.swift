import Foundation

/// An id minted as a random UUID (v4) and written in its canonical lowercase form: it reveals
/// nothing about order or volume, can be minted on any instance or peer without coordination,
/// and, checked on the way in, can name a storage key or a file without escaping. Encoded as a
/// bare string.
public protocol RandomIdentifier: Hashable, Sendable, Codable, CustomStringConvertible, LosslessStringConvertible {
    var rawValue: String { get }
    /// Wraps a value already known to be a canonical UUID.
    init(canonical rawValue: String)
}

extension RandomIdentifier {
    public init() { self.init(canonical: UUID().uuidString.lowercased()) }

    /// Accepts only the canonical lowercase UUID form.
    public init?(_ description: String) {
        guard description.count == 36, let uuid = UUID(uuidString: description), uuid.uuidString.lowercased() == description else {
            return nil
        }
        self.init(canonical: description)
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        guard let id = Self(string) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a \(Self.self)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
