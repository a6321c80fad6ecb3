/// Decides which blocks of a note cmark-gfm may render, so that no note, however it is shaped,
/// costs more than a fraction of a second to render.
///
/// Measured with Debian's cmark-gfm 0.29.0.gfm.6 (`scripts/bench/markdown.py`): two shapes are
/// quadratic, images around links (`![[]()` × 30,000: 180 KB took 3.9 s) and table rows with
/// thousands of cells (20,000 columns: 6.5 s), and every inline delimiter costs 0.2 to 2.5 µs, so
/// 2 MiB of `a@a@…` (email autolinks) takes 5 s even though it is linear. The budget bounds each:
/// a block (lines between blank lines, fenced code aside) with too many brackets or a line with
/// too many cells, and every block once the note has spent its budget, is shown as plain text
/// instead of markdown. Real notes never reach these limits; a hostile one stays readable.
struct MarkdownBudget {
    /// `[` in one block: the image-around-link shape costs ~60 ms at 5,000.
    static let bracketsPerBlock = 2_000
    /// `|` on one line: a table of this many columns still renders in microseconds.
    static let cellsPerLine = 128
    /// The note's budget in cost units of about a quarter of a microsecond of cmark-gfm's time
    /// (`cost`), so a whole note spends about 0.3 s at most.
    static let costPerNote = 1_200_000

    /// What each byte costs cmark-gfm, measured per 2 MiB of the byte repeated in its costliest
    /// context (scripts/bench/markdown.py): link and code punctuation ~0.25 µs, emphasis ~0.5,
    /// strikethrough ~1, a quote or list level ~1.75, an email autolink's `@` ~5. Plain text
    /// costs nothing here (cmark reads it at hundreds of MB/s).
    static let cost: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for byte in "[]()!:`\\&<".utf8 { table[Int(byte)] = 1 }
        for byte in "*_".utf8 { table[Int(byte)] = 2 }
        table[Int(UInt8(ascii: "~"))] = 4
        table[Int(UInt8(ascii: ">"))] = 7
        table[Int(UInt8(ascii: "@"))] = 20
        return table
    }()

    /// A run of lines of the source, and whether it may be rendered as markdown.
    struct Block {
        var lines: Range<Int>
        var rendered: Bool
    }

    /// Splits `lines` into blocks at blank lines (never inside a fenced code block, whose
    /// content is not parsed for inlines and costs nothing) and decides each one.
    static func blocks(of lines: [Substring]) -> [Block] {
        var blocks: [Block] = []
        var spent = 0
        var start = 0
        var fence: (marker: UInt8, length: Int)?
        var brackets = 0
        var blockCost = 0
        var wideLine = false

        func close(at end: Int) {
            guard end > start else { return }
            let rendered = brackets <= bracketsPerBlock && !wideLine && spent + blockCost <= costPerNote
            if rendered { spent += blockCost }
            blocks.append(Block(lines: start..<end, rendered: rendered))
            (brackets, blockCost, wideLine) = (0, 0, false)
        }

        for (index, line) in lines.enumerated() {
            let bytes = line.utf8
            let trimmed = bytes.drop { $0 == UInt8(ascii: " ") }
            if let open = fence {
                // Inside a fence: only its closing line matters.
                if trimmed.prefix(while: { $0 == open.marker }).count >= open.length,
                    trimmed.drop(while: { $0 == open.marker }).allSatisfy({ $0 == UInt8(ascii: " ") })
                {
                    fence = nil
                }
                continue
            }
            if let first = trimmed.first, first == UInt8(ascii: "`") || first == UInt8(ascii: "~") {
                let run = trimmed.prefix(while: { $0 == first }).count
                if run >= 3, bytes.count - trimmed.count < 4 {
                    fence = (first, run)
                    continue
                }
            }
            if bytes.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
                close(at: index)
                start = index + 1
                continue
            }
            var pipes = 0
            for byte in bytes {
                blockCost += cost[Int(byte)]
                if byte == UInt8(ascii: "[") { brackets += 1 }
                if byte == UInt8(ascii: "|") { pipes += 1 }
            }
            if pipes > cellsPerLine { wideLine = true }
        }
        // An unclosed fence runs to the end of the note and is part of the last block.
        close(at: lines.count)
        return blocks
    }
}
