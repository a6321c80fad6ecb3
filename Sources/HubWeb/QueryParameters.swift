import HubCore
import Hummingbird
import HummingbirdCore

/// Reading numbers and flags from a query string. Every integer a client sends is parsed into a
/// bounded range here, before any arithmetic touches it, and anything outside is a 400 naming
/// the parameter: `?page=9223372036854775807` once trapped in `(page - 1) * pageSize`.
extension FlatDictionary where Key == Substring, Value == Substring {
    /// The whole number `name` holds, `defaultValue` when absent; a 400 when it is not a whole
    /// number inside `range`.
    func integer(_ name: Substring, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = self[name] else { return defaultValue }
        return try Self.integer(raw, name: name, in: range)
    }

    /// Like `integer(_:default:in:)`, nil when absent.
    func integer(_ name: Substring, in range: ClosedRange<Int>) throws -> Int? {
        guard let raw = self[name] else { return nil }
        return try Self.integer(raw, name: name, in: range)
    }

    /// `true`/`1` or `false`/`0`; nil when absent, a 400 otherwise.
    func flag(_ name: Substring) throws -> Bool? {
        guard let value = self[name] else { return nil }
        switch value {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.badRequest("'\(name)' must be true or false", code: "invalid_parameter")
        }
    }

    /// Search text: at most `QueryBounds.searchBytes` bytes and `QueryBounds.searchWords` words.
    /// Every word becomes a prefix term of a full-text query, and each costs a pass over the
    /// index: 1,000 one-letter words took seconds on 300 notes.
    func searchText(_ name: Substring = "q") throws -> String? {
        guard let raw = self[name] else { return nil }
        let words = raw.split { !$0.isLetter && !$0.isNumber }.count
        guard raw.utf8.count <= QueryBounds.searchBytes, words <= QueryBounds.searchWords else {
            throw APIError.badRequest(
                "a search takes at most \(QueryBounds.searchWords) words and \(QueryBounds.searchBytes) bytes", code: "invalid_query")
        }
        return String(raw)
    }

    static func integer(_ raw: Substring, name: Substring, in range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(raw), range.contains(number) else {
            throw APIError.badRequest(
                "'\(name)' must be a whole number from \(range.lowerBound) to \(range.upperBound)", code: "invalid_parameter")
        }
        return number
    }
}

/// The bounds of the numbers pages and lists take.
enum QueryBounds {
    /// A page number of a paged listing: far beyond any real listing, small enough that
    /// `(page - 1) * pageSize` cannot overflow.
    static let page = 1...1_000_000
    /// An offset into a listing.
    static let offset = 0...Int(Int32.max)
    /// A note's version number.
    static let version = 1...Int(Int32.max)
    /// What a search may hold.
    static let searchBytes = 512
    static let searchWords = 16
}
