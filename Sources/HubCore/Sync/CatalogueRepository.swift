import Foundation

/// Where the shared video catalogue is kept: this hub's own shared videos' entries, written as
/// their owners change them, and peers', written by merges; tombstones (unshared, deleted)
/// included, so a change travels and a late copy of an older state cannot undo it.
public protocol CatalogueRepository: Sendable {
    /// Stores each entry whole, replacing its video's, all in one transaction.
    func save(_ entries: [CatalogueEntry]) async throws
    /// The entries held of `ids`; ids without one are left out.
    func entries(_ ids: [VideoID]) async throws -> [VideoID: CatalogueEntry]
    /// Every entry's `CatalogueEntry.digest`, for anti-entropy's comparison.
    func digests() async throws -> [VideoID: UInt64]
    /// Listed entries (shared, not deleted) made on other hubs than `node`, newest first;
    /// with `query`, only those with every word of it starting a word of their title,
    /// description or tags. Any text is safe.
    func listed(query: String?, excludingOrigin node: NodeID, offset: Int, limit: Int) async throws -> Page<CatalogueEntry>
}

extension CatalogueEntry {
    /// A digest of the writes the entry holds (its registers' stamps): two hubs whose entries
    /// of a video have the same digest hold the same writes. FNV-1a over the stamps' text, so it
    /// is the same on every hub and every build.
    public var digest: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for stamp in stamps {
            for byte in "\(stamp.clock.rawValue):\(stamp.node.rawValue);".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return hash
    }

    /// The words search matches, lowercased: title, description and tags.
    public var searchText: String {
        ([title.value, description.value] + tags.value).joined(separator: " ").lowercased()
    }

    /// A query's words (at most 8, control characters dropped: PostgreSQL's text holds no NUL)
    /// as `LIKE` patterns matching a word start in `searchText` (prefixed with a space), with `%`,
    /// `_` and the escape character escaped.
    public static func wordPatterns(_ query: String?) -> [String] {
        let text = String(String.UnicodeScalarView((query ?? "").unicodeScalars.filter { $0.properties.generalCategory != .control }))
        return text.lowercased().split(whereSeparator: { $0.isWhitespace }).prefix(8).map { word in
            var escaped = ""
            for character in word {
                if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
                escaped.append(character)
            }
            return "% \(escaped)%"
        }
    }
}
