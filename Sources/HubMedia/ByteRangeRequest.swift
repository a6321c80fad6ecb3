/// What a `Range` header (RFC 9110 §14) asks of a representation of known size.
public enum ByteRangeRequest: Equatable, Sendable {
    /// No usable Range header: send the whole representation (200).
    case whole
    /// One satisfiable range (206 with Content-Range).
    case single(ClosedRange<Int64>)
    /// Several non-overlapping ranges, ascending (206 multipart/byteranges).
    case multiple([ClosedRange<Int64>])
    /// Nothing satisfiable, or a malformed byte-range set (416 with `Content-Range: bytes */size`).
    case unsatisfiable

    /// More ranges than this in one request is treated as abuse (RFC 9110 §14.2 allows refusing).
    public static let maximumRanges = 16

    /// Interprets `header` against a representation of `size` bytes.
    ///
    /// Units other than `bytes` are ignored (the whole representation is sent), as RFC 9110
    /// requires. A malformed byte-range set is refused with 416, as nginx does, instead of
    /// answering a broken seek with the whole file. Overlapping or adjacent ranges are coalesced,
    /// so a client cannot make the hub send the same bytes many times.
    public static func parse(_ header: String?, size: Int64) -> ByteRangeRequest {
        guard let header else { return .whole }
        let trimmed = header.trimmingASCIIWhitespace()
        guard let equals = trimmed.firstIndex(of: "=") else { return .unsatisfiable }
        let unit = trimmed[..<equals].trimmingASCIIWhitespace().lowercased()
        guard unit == "bytes" else { return .whole }

        var ranges: [ClosedRange<Int64>] = []
        let specs = trimmed[trimmed.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
        guard specs.count <= maximumRanges * 4 else { return .unsatisfiable }
        for rawSpec in specs {
            let spec = rawSpec.trimmingASCIIWhitespace()
            if spec.isEmpty { continue }  // RFC 9110 list syntax tolerates empty elements
            guard let dash = spec.firstIndex(of: "-") else { return .unsatisfiable }
            let first = spec[..<dash]
            let last = spec[spec.index(after: dash)...]
            if first.isEmpty {
                // Suffix range: the final N bytes.
                guard let length = HeaderInteger.parse(last) else { return .unsatisfiable }
                if length == 0 || size == 0 { continue }
                ranges.append(max(0, size - length)...(size - 1))
            } else {
                guard let start = HeaderInteger.parse(first) else { return .unsatisfiable }
                let end: Int64
                if last.isEmpty {
                    end = size - 1
                } else {
                    guard let value = HeaderInteger.parse(last), value >= start else { return .unsatisfiable }
                    end = min(value, size - 1)
                }
                if start >= size { continue }
                ranges.append(start...end)
            }
        }
        let merged = coalesce(ranges)
        switch merged.count {
        case 0: return .unsatisfiable
        case 1: return .single(merged[0])
        case ...maximumRanges: return .multiple(merged)
        default: return .unsatisfiable
        }
    }

    /// Sorts and merges overlapping or touching ranges.
    static func coalesce(_ ranges: [ClosedRange<Int64>]) -> [ClosedRange<Int64>] {
        var result: [ClosedRange<Int64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

}

/// The integers of HTTP headers (`Content-Length`, `Upload-Offset`, byte positions): 1*DIGIT, no
/// sign, no spaces, no exponent — stricter than `Int64(_:)`, which accepts `+5`.
public enum HeaderInteger {
    public static func parse(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> Substring {
        let scalars = self[...]
        let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) ?? scalars.endIndex
        let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }).map { scalars.index(after: $0) } ?? start
        return Substring(scalars[start..<Swift.max(start, end)])
    }
}
