import Foundation
import CCmarkGFM

#if canImport(Glibc)
import Glibc
#endif

/// Renders note content, GitHub-flavoured markdown, to HTML with cmark-gfm in its safe mode: raw
/// HTML is dropped and `javascript:`, `vbscript:`, `file:` and `data:` links are emptied, so what
/// anyone writes in a shared note cannot run in a reader's browser.
///
/// In notes that belong to a video, timestamps written as `[12:34]` or `[1:02:03]` become links
/// to `#t=SECONDS`, which the player page turns into a seek.
public struct MarkdownRenderer: Sendable {
    private static let extensions = ["table", "strikethrough", "autolink", "tagfilter", "tasklist"]

    /// cmark-gfm keeps its extension registry in a C global and registers without a lock, so
    /// two renderers made at once on two threads could corrupt it; a `static let` runs the
    /// registration exactly once per process, whichever thread comes first.
    private static let registration: Void = cmark_gfm_core_extensions_ensure_registered()

    public init() {
        _ = Self.registration
    }

    /// The note as HTML. Blocks over `MarkdownBudget` are shown as plain text: each becomes a
    /// placeholder paragraph for cmark, then its escaped text in the output.
    public func html(_ markdown: String, timestampLinks: Bool = false) -> String {
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        let blocks = MarkdownBudget.blocks(of: lines)
        guard blocks.contains(where: { !$0.rendered }) else { return render(markdown, timestampLinks: timestampLinks) }
        // A private-use marker with a random tag: text in the note cannot guess it.
        let tag = UInt64.random(in: .min ... .max)
        func marker(_ index: Int) -> String { "\u{E000}\(tag)-\(index)\u{E000}" }
        var source = ""
        var cursor = 0
        var plain: [String] = []
        for block in blocks where !block.rendered {
            source += lines[cursor..<block.lines.lowerBound].map { $0 + "\n" }.joined()
            source += marker(plain.count) + "\n"
            plain.append(lines[block.lines].joined(separator: "\n"))
            cursor = block.lines.upperBound
        }
        source += lines[cursor...].joined(separator: "\n")
        // The placeholders come out in the order they went in: one pass splices them. (Foundation's
        // replacingOccurrences bridges to UTF-16 and took minutes on a large note here.)
        let html = render(source, timestampLinks: timestampLinks)
        var result = ""
        result.reserveCapacity(html.utf8.count + plain.reduce(0) { $0 + $1.utf8.count })
        var rest = html[...]
        for (index, text) in plain.enumerated() {
            guard let found = rest.firstRange(of: "<p>\(marker(index))</p>") else { continue }
            result += rest[..<found.lowerBound]
            result += #"<p class="unrendered">"# + Self.escaped(text) + "</p>"
            rest = rest[found.upperBound...]
        }
        result += rest
        return result
    }

    static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    private func render(_ markdown: String, timestampLinks: Bool) -> String {
        let options = CMARK_OPT_DEFAULT | CMARK_OPT_GITHUB_PRE_LANG
        guard let parser = cmark_parser_new(options) else { return "" }
        defer { cmark_parser_free(parser) }
        for name in Self.extensions {
            if let syntax = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, syntax) }
        }
        var source = markdown
        source.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
        }
        guard let document = cmark_parser_finish(parser) else { return "" }
        defer { cmark_node_free(document) }
        if timestampLinks { Self.linkTimestamps(in: document) }
        guard let rendered = cmark_render_html(document, options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    /// Splits text nodes around `[m:ss]` and `[h:mm:ss]` and puts each timestamp in a link.
    /// Works on the syntax tree, not the HTML, so timestamps in code, in link text and in
    /// attributes stay as they are.
    private static func linkTimestamps(in document: OpaquePointer) {
        // The parser leaves "[" and "]" as text nodes of their own; merged, a timestamp is one.
        cmark_consolidate_text_nodes(document)
        var textNodes: [OpaquePointer] = []
        guard let iterator = cmark_iter_new(document) else { return }
        var insideLink = 0
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_LINK { insideLink += event == CMARK_EVENT_ENTER ? 1 : -1 }
            if type == CMARK_NODE_TEXT, insideLink == 0 { textNodes.append(node) }
        }
        cmark_iter_free(iterator)
        for node in textNodes {
            guard let literal = cmark_node_get_literal(node) else { continue }
            let text = Array(String(cString: literal).utf8)
            let matches = Timestamp.find(in: text)
            guard !matches.isEmpty else { continue }
            var cursor = 0
            var last = node
            cmark_node_set_literal(node, String(decoding: text[..<matches[0].range.lowerBound], as: UTF8.self))
            for match in matches {
                if match.range.lowerBound > cursor, last != node {
                    last = insertText(String(decoding: text[cursor..<match.range.lowerBound], as: UTF8.self), after: last)
                }
                guard let link = cmark_node_new(CMARK_NODE_LINK), let label = cmark_node_new(CMARK_NODE_TEXT) else { return }
                cmark_node_set_url(link, "#t=\(match.seconds)")
                cmark_node_set_title(link, "Play from \(String(decoding: text[match.range].dropFirst().dropLast(), as: UTF8.self))")
                cmark_node_set_literal(label, String(decoding: text[match.range], as: UTF8.self))
                cmark_node_append_child(link, label)
                cmark_node_insert_after(last, link)
                last = link
                cursor = match.range.upperBound
            }
            if cursor < text.count { _ = insertText(String(decoding: text[cursor...], as: UTF8.self), after: last) }
        }
    }

    private static func insertText(_ text: String, after node: OpaquePointer) -> OpaquePointer {
        guard let textNode = cmark_node_new(CMARK_NODE_TEXT) else { return node }
        cmark_node_set_literal(textNode, text)
        cmark_node_insert_after(node, textNode)
        return textNode
    }
}

/// A `[m:ss]` or `[h:mm:ss]` in text, and the second it points at.
struct Timestamp: Equatable {
    var range: Range<Int>
    var seconds: Int

    /// Every timestamp in `text` (UTF-8), left to right.
    static func find(in text: [UInt8]) -> [Timestamp] {
        var found: [Timestamp] = []
        var index = 0
        while index < text.count {
            guard text[index] == UInt8(ascii: "["), let close = text[index...].prefix(12).firstIndex(of: UInt8(ascii: "]")) else {
                index += 1
                continue
            }
            let fields = text[(index + 1)..<close].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            let numbers = fields.map { field -> Int? in
                guard (1...2).contains(field.count), field.allSatisfy({ (48...57).contains($0) }) else { return nil }
                return field.reduce(0) { $0 * 10 + Int($1 - 48) }
            }
            if (2...3).contains(numbers.count), numbers.allSatisfy({ $0 != nil }), fields.last!.count == 2, numbers.last!! < 60,
                numbers.count == 2 || (fields[1].count == 2 && numbers[1]! < 60)
            {
                let seconds = numbers.reduce(0) { $0 * 60 + $1! }
                found.append(Timestamp(range: index..<(close + 1), seconds: seconds))
                index = close + 1
            } else {
                index += 1
            }
        }
        return found
    }
}
