import Foundation

/// Values stored as JSON text in a column (tags, upload metadata): small, read whole, never
/// queried by SQL, so a JSON string is simpler than a side table.
enum JSONColumn {
    static func encode<T: Encodable>(_ value: T) -> String {
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
