import Foundation

/// The validators of a stored representation: a strong ETag (from its SHA-256) and its
/// modification time, at one-second resolution as HTTP dates have.
public struct Validators: Sendable, Equatable {
    public var etag: String
    public var lastModified: Date

    public init(sha256: String, lastModified: Date) {
        self.etag = "\"\(sha256)\""
        self.lastModified = Date(timeIntervalSince1970: lastModified.timeIntervalSince1970.rounded(.down))
    }
}

/// The conditional headers of a GET or HEAD, evaluated in RFC 9110 §13.2.2's order.
public struct ConditionalRequest: Sendable {
    public var ifMatch: String?
    public var ifNoneMatch: String?
    public var ifModifiedSince: String?
    public var ifUnmodifiedSince: String?
    public var ifRange: String?

    public init(
        ifMatch: String? = nil, ifNoneMatch: String? = nil, ifModifiedSince: String? = nil,
        ifUnmodifiedSince: String? = nil, ifRange: String? = nil
    ) {
        self.ifMatch = ifMatch
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.ifUnmodifiedSince = ifUnmodifiedSince
        self.ifRange = ifRange
    }

    public enum Outcome: Equatable, Sendable {
        /// Serve the representation; `honourRange` is false when If-Range did not match.
        case proceed(honourRange: Bool)
        case notModified
        case preconditionFailed
    }

    public func evaluate(against validators: Validators) -> Outcome {
        // Step 1–2: If-Match, else If-Unmodified-Since.
        if let ifMatch {
            if !Self.list(ifMatch, contains: validators.etag, weak: false) { return .preconditionFailed }
        } else if let date = ifUnmodifiedSince.flatMap(HTTPDate.parse), validators.lastModified > date {
            return .preconditionFailed
        }
        // Step 3–4: If-None-Match, else If-Modified-Since (GET/HEAD → 304).
        if let ifNoneMatch {
            if Self.list(ifNoneMatch, contains: validators.etag, weak: true) { return .notModified }
        } else if let date = ifModifiedSince.flatMap(HTTPDate.parse), validators.lastModified <= date {
            return .notModified
        }
        // Step 5: If-Range decides whether Range applies; only strong validators count.
        if let ifRange {
            let value = ifRange.trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\"") {
                return .proceed(honourRange: value == validators.etag)
            }
            guard let date = HTTPDate.parse(value) else { return .proceed(honourRange: false) }
            return .proceed(honourRange: date == validators.lastModified)
        }
        return .proceed(honourRange: true)
    }

    /// Whether an entity-tag list (`*` or `"a", W/"b"`) matches `etag`. Weak comparison ignores
    /// the `W/` prefix; strong comparison refuses weak tags.
    static func list(_ header: String, contains etag: String, weak: Bool) -> Bool {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return true }
        for item in trimmed.split(separator: ",") {
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") {
                guard weak else { continue }
                tag.removeFirst(2)
            }
            if tag == etag { return true }
        }
        return false
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7), the only format the hub sends. Formatting is done by hand
/// because it runs on every streamed response and a `DateFormatter` costs more than the rest of
/// the headers together; parsing also accepts the two obsolete formats recipients must read.
public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func format(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    /// The longest date worth parsing: the longest obsolete form (RFC 850 with a full weekday)
    /// is 40 bytes.
    static let longestDate = 64

    public static func parse(_ text: String) -> Date? {
        // An HTTP date is printable ASCII. Anything else is not one, and is not handed to
        // Foundation's `DateFormatter`: on Linux it traps on some non-ASCII input (a range
        // computed in UTF-16 applied to other units), which from a request header would take
        // the hub down. The fuzzer found it (Fuzz/corpus/conditional).
        guard text.utf8.count <= longestDate, text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        return nil
    }
}
