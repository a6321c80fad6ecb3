import Foundation

/// How the API's bodies are written as JSON: dates as ISO 8601 (Hummingbird's own default,
/// which the server answers with), everything else as Foundation's coders do.
public enum WireFormat {
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
