import Foundation
import HubCore

/// tus `Upload-Metadata`: comma-separated `key base64value` pairs (tus 1.0.0 §Creation).
public enum UploadMetadata {
    public static let maximumHeaderLength = 16 * 1024

    public static func parse(_ header: String?) throws(InvalidInput) -> [String: String] {
        guard let header, !header.isEmpty else { return [:] }
        guard header.utf8.count <= maximumHeaderLength else {
            throw InvalidInput("Upload-Metadata is longer than \(maximumHeaderLength) bytes", code: "invalid_metadata")
        }
        var result: [String: String] = [:]
        for pair in header.split(separator: ",") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
            guard let key = parts.first, parts.count <= 2,
                key.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "," })
            else {
                throw InvalidInput("Upload-Metadata must be 'key base64value' pairs separated by commas", code: "invalid_metadata")
            }
            var value = ""
            if parts.count == 2 {
                guard let data = Data(base64Encoded: String(parts[1])) else {
                    throw InvalidInput("the Upload-Metadata value of '\(key)' is not base64", code: "invalid_metadata")
                }
                // A file name from another system may not be UTF-8; what is not becomes U+FFFD,
                // and the name is cleaned before it is shown or stored anyway.
                value = String(decoding: data, as: UTF8.self)
            }
            result[String(key)] = value
        }
        return result
    }

    public static func encode(_ metadata: [String: String]) -> String {
        metadata.sorted { $0.key < $1.key }.map { "\($0.key) \(Data($0.value.utf8).base64EncodedString())" }.joined(separator: ",")
    }
}

/// Cleans what a client says about its file so it is safe to store and show.
public enum UploadNaming {
    /// The last path component, without control characters, at most 255 bytes of UTF-8 — so a
    /// path-like or 10 kB name becomes a plain, bounded file name instead of an error.
    public static func sanitizedFilename(_ raw: String?) -> String {
        guard let raw else { return "video" }
        let lastComponent = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var cleaned = String(String.UnicodeScalarView(lastComponent.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        cleaned = cleaned.trimmingCharacters(in: .whitespaces)
        if cleaned.isEmpty || cleaned == "." || cleaned == ".." { return "video" }
        return truncated(cleaned, toUTF8Bytes: VideoLimits.filenameLength)
    }

    /// One line of printable text: control characters (a NUL, a newline, an escape code) become
    /// spaces, since titles and tags end up in pages, logs and terminals.
    public static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
    }

    public static func defaultTitle(forFilename filename: String) -> String {
        let stem = (filename as NSString).deletingPathExtension
        return truncated(stem.isEmpty ? filename : stem, toScalars: VideoLimits.titleLength)
    }

    /// Tags from a comma-separated list (upload metadata, form fields).
    public static func tags(fromList list: String?) -> [String] {
        tags((list ?? "").split(separator: ",").map(String.init))
    }

    /// Tags trimmed, deduplicated (case-insensitively) and bounded in count and length.
    public static func tags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        return tags
            .map { truncated(printable($0).trimmingCharacters(in: .whitespacesAndNewlines), toScalars: VideoLimits.tagLength) }
            .filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
            .prefix(VideoLimits.tagCount).map { $0 }
    }

    /// At most `limit` Unicode scalars, cut between characters (never inside an emoji or an
    /// accented letter): the unit of the API's text limits.
    public static func truncated(_ text: String, toScalars limit: Int) -> String {
        truncated(text, to: limit, total: text.unicodeScalars.count) { $0.unicodeScalars.count }
    }

    /// At most `limit` bytes of UTF-8, cut between characters: a file name's limit.
    public static func truncated(_ text: String, toUTF8Bytes limit: Int) -> String {
        truncated(text, to: limit, total: text.utf8.count) { $0.utf8.count }
    }

    private static func truncated(_ text: String, to limit: Int, total: Int, size: (Character) -> Int) -> String {
        guard total > limit else { return text }
        var result = ""
        var used = 0
        for character in text {
            let next = size(character)
            if used + next > limit { break }
            result.append(character)
            used += next
        }
        return result
    }
}
