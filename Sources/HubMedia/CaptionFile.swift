import Foundation
import HubCore

/// A captions file as owners upload it, WebVTT or SRT, read into cues and written back as
/// WebVTT, the one format browsers' `<track>` plays. What cannot be read is refused with the
/// line it stopped at, so the owner can fix that line; nothing half-read is ever stored.
public struct CaptionFile: Sendable, Equatable {
    public struct Cue: Sendable, Equatable {
        /// Milliseconds from the start of the video.
        public var start: Int
        public var end: Int
        /// The cue's lines, as written (WebVTT's `<i>`, `<b>` and the like included).
        public var text: String

        public init(start: Int, end: Int, text: String) {
            self.start = start
            self.end = end
            self.text = text
        }
    }

    public var cues: [Cue]

    /// The largest file read (2 MiB: hours of dialogue).
    public static let maxBytes = 2 << 20
    public static let maxCues = 50_000

    /// Reads `text`, WebVTT when it starts with `WEBVTT`, SRT otherwise.
    public init(reading text: String) throws(CaptionError) {
        // A byte order mark and Windows line ends are common in SRT files from editors.
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        let firstLine = lines.first.map { $0.hasPrefix("\u{FEFF}") ? String($0.dropFirst()) : $0 } ?? ""
        let isWebVTT = firstLine.hasPrefix("WEBVTT")
        if isWebVTT {
            guard firstLine == "WEBVTT" || firstLine.hasPrefix("WEBVTT ") || firstLine.hasPrefix("WEBVTT\t") else {
                throw .malformed(line: 1, "a WebVTT file starts with a line that is WEBVTT, alone or followed by a space")
            }
            index = 1
            // The header's other lines run to the first blank line.
            while index < lines.count, !lines[index].isEmpty { index += 1 }
        }
        var cues: [Cue] = []
        while index < lines.count {
            // Blocks are separated by blank lines.
            while index < lines.count, lines[index].trimmingCharacters(in: .whitespaces).isEmpty { index += 1 }
            guard index < lines.count else { break }
            let blockStart = index
            var block: [String] = []
            while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).isEmpty {
                block.append(lines[index])
                index += 1
            }
            if isWebVTT, let word = block.first?.split(separator: " ").first, ["NOTE", "STYLE", "REGION"].contains(word) { continue }
            // An identifier (SRT's number, WebVTT's optional name) may come before the timing.
            let timingOffset = block[0].contains("-->") ? 0 : 1
            guard timingOffset < block.count, block[timingOffset].contains("-->") else {
                throw .malformed(line: blockStart + 1 + min(timingOffset, block.count - 1), "expected a timing line such as 00:00:01.000 --> 00:00:04.000")
            }
            let timingLine = blockStart + 1 + timingOffset
            let (start, end) = try Self.timing(block[timingOffset], line: timingLine, webVTT: isWebVTT)
            let textLines = block[(timingOffset + 1)...]
            if let stray = textLines.firstIndex(where: { $0.contains("-->") }) {
                throw .malformed(line: blockStart + 1 + stray, "a cue's text cannot hold \"-->\"; is a blank line missing?")
            }
            let text = textLines.joined(separator: "\n")
            cues.append(Cue(start: start, end: end, text: text))
            guard cues.count <= Self.maxCues else { throw .malformed(line: timingLine, "more than \(Self.maxCues) cues") }
        }
        guard !cues.isEmpty else { throw .malformed(line: max(lines.count, 1), "the file holds no cues") }
        self.cues = cues
    }

    /// The cues as search indexes them: their words on one line, WebVTT's markup (`<i>`,
    /// `<v Speaker>`, `<00:01.000>`) and its common entities removed; a cue left without words
    /// is not indexed.
    public var searchableCues: [CaptionCue] {
        cues.compactMap { cue in
            let words = cue.text
                .replacingOccurrences(of: "<[^>\n]*>", with: " ", options: .regularExpression)
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&amp;", with: "&")
                .split(whereSeparator: \.isWhitespace).joined(separator: " ")
            return words.isEmpty ? nil : CaptionCue(startMilliseconds: cue.start, text: words)
        }
    }

    /// The file as WebVTT.
    public var webVTT: String {
        var text = "WEBVTT\n"
        for cue in cues {
            text += "\n\(Self.format(cue.start)) --> \(Self.format(cue.end))\n\(cue.text)\n"
        }
        return text
    }

    /// `start --> end [settings]`: `hh:mm:ss.mmm` or `mm:ss.mmm` (SRT: a comma before the
    /// milliseconds, hours always there).
    static func timing(_ line: String, line number: Int, webVTT: Bool) throws(CaptionError) -> (Int, Int) {
        let parts = line.components(separatedBy: "-->")
        guard parts.count == 2 else { throw .malformed(line: number, "a timing line holds one \"-->\"") }
        let startText = parts[0].trimmingCharacters(in: .whitespaces)
        // WebVTT cue settings (position, align…) follow the end time; they are dropped.
        let endText = parts[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        guard let start = timestamp(startText, webVTT: webVTT) else { throw .malformed(line: number, "'\(startText)' is not a time") }
        guard let end = timestamp(endText, webVTT: webVTT) else { throw .malformed(line: number, "'\(endText)' is not a time") }
        guard end >= start else { throw .malformed(line: number, "the cue ends before it starts") }
        return (start, end)
    }

    /// Milliseconds, or nil: every field bounded before any arithmetic (hours below 100).
    static func timestamp(_ text: String, webVTT: Bool) -> Int? {
        let separator: Character = webVTT ? "." : ","
        let pieces = text.split(separator: separator, omittingEmptySubsequences: false)
        guard pieces.count == 2, pieces[1].count == 3, let millis = Int(pieces[1]), pieces[1].allSatisfy(\.isASCII) else { return nil }
        let clock = pieces[0].split(separator: ":", omittingEmptySubsequences: false)
        guard (webVTT ? 2...3 : 3...3).contains(clock.count), clock.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(\.isNumber) && $0.allSatisfy(\.isASCII) }),
            clock.dropFirst().allSatisfy({ $0.count == 2 })
        else { return nil }
        let numbers = clock.compactMap { Int($0) }
        let (hours, minutes, seconds) = numbers.count == 3 ? (numbers[0], numbers[1], numbers[2]) : (0, numbers[0], numbers[1])
        guard minutes < 60, seconds < 60 else { return nil }
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
    }

    static func format(_ milliseconds: Int) -> String {
        let (hours, rest) = milliseconds.quotientAndRemainder(dividingBy: 3_600_000)
        let (minutes, rest2) = rest.quotientAndRemainder(dividingBy: 60_000)
        let (seconds, millis) = rest2.quotientAndRemainder(dividingBy: 1000)
        return "\(two(hours)):\(two(minutes)):\(two(seconds)).\(millis < 10 ? "00" : millis < 100 ? "0" : "")\(millis)"
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// A captions file that was refused.
public enum CaptionError: DomainError, Equatable {
    /// Line `line` (from 1) could not be read.
    case malformed(line: Int, String)
    /// A language tag that is not one (`en`, `pt-BR`).
    case invalidLanguage(String)

    public var code: String {
        switch self {
        case .malformed: "invalid_captions"
        case .invalidLanguage: "invalid_language"
        }
    }

    public var message: String {
        switch self {
        case .malformed(let line, let problem): "line \(line): \(problem)"
        case .invalidLanguage(let tag): "'\(tag)' is not a language tag such as en or pt-BR"
        }
    }
}
