import Foundation
import HubCore

/// An HLS media playlist over one fragmented MP4 (RFC 8216, version 7): its initialization
/// section (`ftyp` + `moov`) and its segments (`moof` + `mdat`), each a byte range of the same
/// object, which the hub's ordinary range path serves from disk, S3 or peers' blocks.
///
/// ffmpeg writes the playlist (`-hls_flags single_file`); the hub reads it back, checks every
/// range against the file, and stores its own rendering, whose one URI is the rendition's.
public struct HLSMediaPlaylist: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var duration: Double
        public var offset: Int64
        public var length: Int64

        public init(duration: Double, offset: Int64, length: Int64) {
            self.duration = duration
            self.offset = offset
            self.length = length
        }
    }

    public var initialization: Segment
    public var segments: [Segment]

    /// RFC 8216's media type for playlists.
    public static let contentType = "application/vnd.apple.mpegurl"

    public init(initialization: Segment, segments: [Segment]) {
        self.initialization = initialization
        self.segments = segments
    }

    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a playlist whose ranges all lie within a file of `fileSize` bytes.
    public init(parsing text: String, fileSize: Int64) throws(Malformed) {
        var initialization: Segment?
        var segments: [Segment] = []
        var pendingDuration: Double?
        var nextOffset: Int64 = 0
        var ended = false
        for (index, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = index + 1
            if line.hasPrefix("#EXT-X-MAP:") {
                let attributes = HLSAttributes.parse(String(line.dropFirst("#EXT-X-MAP:".count)))
                guard let range = attributes["BYTERANGE"], let (length, offset) = Self.byteRange(range, after: 0) else {
                    throw Malformed(description: "line \(number): an EXT-X-MAP without a byte range")
                }
                initialization = try Self.checked(Segment(duration: 0, offset: offset, length: length), fileSize: fileSize, line: number)
            } else if line.hasPrefix("#EXTINF:") {
                let value = line.dropFirst("#EXTINF:".count).prefix { $0 != "," }
                // At least a millisecond: bit rates divide by it, and must stay far inside Int.
                guard let duration = Double(value), duration.isFinite, duration >= 0.001, duration <= 3_600 else {
                    throw Malformed(description: "line \(number): a segment duration of '\(value)'")
                }
                pendingDuration = duration
            } else if line.hasPrefix("#EXT-X-BYTERANGE:") {
                guard let duration = pendingDuration,
                    let (length, offset) = Self.byteRange(String(line.dropFirst("#EXT-X-BYTERANGE:".count)), after: nextOffset)
                else { throw Malformed(description: "line \(number): a byte range without its duration, or not one") }
                segments.append(try Self.checked(Segment(duration: duration, offset: offset, length: length), fileSize: fileSize, line: number))
                nextOffset = offset + length
                pendingDuration = nil
                // A week of two-second segments: far past any video the hub's time limits let it encode.
                guard segments.count <= 302_400 else { throw Malformed(description: "more segments than any video has") }
            } else if line == "#EXT-X-ENDLIST" {
                ended = true
            }
        }
        guard let initialization, !segments.isEmpty, ended else {
            throw Malformed(description: "the playlist lacks its initialization section, its segments or its end")
        }
        self.initialization = initialization
        self.segments = segments
    }

    /// `length[@offset]`, where a missing offset continues from the previous segment.
    private static func byteRange(_ text: String, after previous: Int64) -> (length: Int64, offset: Int64)? {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let length = Int64(parts[0]) else { return nil }
        guard parts.count == 2 else { return (length, previous) }
        guard let offset = Int64(parts[1]) else { return nil }
        return (length, offset)
    }

    private static func checked(_ segment: Segment, fileSize: Int64, line: Int) throws(Malformed) -> Segment {
        // Compared without adding, so no length or offset can overflow.
        guard segment.length > 0, segment.offset >= 0, segment.offset <= fileSize, segment.length <= fileSize - segment.offset else {
            throw Malformed(description: "line \(line): bytes \(segment.offset)+\(segment.length) lie outside the \(fileSize)-byte file")
        }
        return segment
    }

    public var duration: Double { segments.reduce(0) { $0 + $1.duration } }

    /// The highest bit rate of any segment: what HLS calls a variant's `BANDWIDTH`.
    public var peakBitRate: Int {
        Self.bitRate(segments.map { Double($0.length) * 8 / $0.duration }.max() ?? 0)
    }

    /// Bits per second over the whole rendition (`AVERAGE-BANDWIDTH`).
    public var averageBitRate: Int {
        let bytes = segments.reduce(Int64(0)) { $0 + $1.length }
        return duration > 0 ? Self.bitRate(Double(bytes) * 8 / duration) : 0
    }

    /// Bits per second as an Int: a 5 TiB file in one millisecond segment is 4.4e19, past
    /// Int.max, so the figure is capped rather than trapping.
    private static func bitRate(_ value: Double) -> Int {
        Int(min(value.rounded(.up), 1e18))
    }

    /// The playlist as the hub serves it, every range in the object at `uri`.
    public func rendered(uri: String) -> String {
        let target = Int(segments.map(\.duration).max()?.rounded(.up) ?? 1)
        var text = """
            #EXTM3U
            #EXT-X-VERSION:7
            #EXT-X-TARGETDURATION:\(target)
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXT-X-INDEPENDENT-SEGMENTS
            #EXT-X-MAP:URI="\(uri)",BYTERANGE="\(initialization.length)@\(initialization.offset)"

            """
        for segment in segments {
            text += "#EXTINF:\(String(format: "%.6f", segment.duration)),\n#EXT-X-BYTERANGE:\(segment.length)@\(segment.offset)\n\(uri)\n"
        }
        return text + "#EXT-X-ENDLIST\n"
    }
}

/// The master playlist: one variant per rung of a video's ladder, lowest first.
public enum HLSMasterPlaylist {
    /// `uri` names a rung's media playlist, relative to the master's URL.
    public static func rendered(_ ladder: [Rendition], uri: (Rendition) -> String) -> String {
        var text = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        for rung in ladder.filter(\.isAdaptive).sorted(by: { ($0.peakBitRate ?? 0) < ($1.peakBitRate ?? 0) }) {
            var attributes = ["BANDWIDTH=\(rung.peakBitRate ?? 0)"]
            if let average = rung.averageBitRate { attributes.append("AVERAGE-BANDWIDTH=\(average)") }
            if let width = rung.width, let height = rung.height { attributes.append("RESOLUTION=\(width)x\(height)") }
            if let codecs = rung.codecs { attributes.append("CODECS=\"\(codecs)\"") }
            text += "#EXT-X-STREAM-INF:\(attributes.joined(separator: ","))\n\(uri(rung))\n"
        }
        return text
    }
}

/// An HLS attribute list (`BANDWIDTH=875600,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"`):
/// names to values, quotes removed.
enum HLSAttributes {
    static func parse(_ text: String) -> [String: String] {
        var attributes: [String: String] = [:]
        var rest = Substring(text)
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: equals)...]
            let value: Substring
            if rest.first == "\"", let close = rest.dropFirst().firstIndex(of: "\"") {
                value = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
            } else {
                value = rest.prefix { $0 != "," }
                rest = rest[value.endIndex...]
            }
            attributes[name] = String(value)
            rest = rest.drop { $0 == "," || $0 == " " }
        }
        return attributes
    }

    /// The first variant's attributes in a master playlist ffmpeg wrote for one rendition.
    static func firstVariant(in master: String) -> [String: String]? {
        master.split(whereSeparator: \.isNewline).first { $0.hasPrefix("#EXT-X-STREAM-INF:") }
            .map { parse(String($0.dropFirst("#EXT-X-STREAM-INF:".count))) }
    }
}
