import Foundation
import Testing

import HubCore

@testable import HubNotes

@Suite struct MarkdownRendererTests {
    let renderer = MarkdownRenderer()

    @Test func rendersGitHubFlavouredMarkdown() {
        let html = renderer.html("# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ https://example.com\n\n- [x] done")
        #expect(html.contains("<h1>Title</h1>"))
        #expect(html.contains("<table>"))
        #expect(html.contains("<del>old</del>"))
        #expect(html.contains("<a href=\"https://example.com\">"))
        #expect(html.contains("checkbox"))
    }

    @Test func scriptsHandlersAndJavascriptLinksAreInert() {
        let hostile = """
            <script>alert(1)</script>
            <img src=x onerror="alert(1)">
            [click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) <a href="javascript:alert(1)">x</a>
            <iframe src="https://evil"></iframe> <svg onload=alert(1)>
            ![img](javascript:alert(1))
            """
        let html = renderer.html(hostile)
        for forbidden in ["<script", "onerror", "javascript:", "<iframe", "onload", "<svg", "data:text/html"] {
            #expect(!html.lowercased().contains(forbidden), "\(forbidden) in \(html)")
        }
    }

    @Test func timestampsBecomeSeekLinksOnlyInVideoNotes() {
        let markdown = "At [1:05] the intro, [1:02:03] later, `[0:10]` in code, [see](https://x.org) and [12:75] is no time."
        let plain = renderer.html(markdown)
        #expect(!plain.contains("#t="))
        let linked = renderer.html(markdown, timestampLinks: true)
        #expect(linked.contains("<a href=\"#t=65\" title=\"Play from 1:05\">[1:05]</a>"))
        #expect(linked.contains("<a href=\"#t=3723\""))
        #expect(linked.contains("<code>[0:10]</code>"), "code stays code")
        #expect(!linked.contains("#t=135"), "seconds over 59 are not a time")
        #expect(linked.contains("At "), "text around a timestamp is kept")
        #expect(linked.contains(" the intro, "))
    }

    @Test func timestampScanner() {
        #expect(Timestamp.find(in: Array("[0:00][10:59]".utf8)).map(\.seconds) == [0, 659])
        #expect(Timestamp.find(in: Array("[1:2] [123:45] [a:bc] [1:00:60]".utf8)).isEmpty)
    }

    /// Shapes that made cmark-gfm slow (issue 13: `![[]()` × 30,000 took 3.9 s, wide tables and
    /// email-like text took seconds at 2 MiB) still render, as plain text where over budget,
    /// with nothing of them executable. How fast is `scripts/bench/markdown.py`'s to say.
    @Test(arguments: [
        ("images around links", "![[]()"), ("email autolinks", "a@"), ("emphasis", "*_"), ("strikethrough", "~a"),
        ("nested quotes and lists", "> - "), ("entities", "&#"),
    ])
    func hostileShapesOfTwoMebibytesRenderAsText(name: String, unit: String) {
        let markdown = String(repeating: unit, count: (2 << 20) / unit.utf8.count)
        let html = renderer.html(markdown)
        #expect(html.contains(#"<p class="unrendered">"#) || html.utf8.count > markdown.utf8.count / 2, "\(name)")
    }

    @Test func aTableWithThousandsOfColumnsIsShownAsText() {
        let columns = 20_000
        let markdown = "|" + String(repeating: "a|", count: columns) + "\n|" + String(repeating: "-|", count: columns) + "\n"
        let html = renderer.html("# Kept\n\n" + markdown + "\nafter <b>")
        #expect(html.contains("<h1>Kept</h1>"), "blocks within budget render as markdown")
        #expect(!html.contains("<table>") && html.contains(#"<p class="unrendered">|a|a|"#))
        #expect(html.contains("<p>after </p>") || html.contains("after"), "the block after it renders")
        #expect(!html.contains("<b>"))
    }

    @Test func plainTextBlocksAreEscapedAndRealNotesAreUntouched() {
        let hostile = String(repeating: "[", count: MarkdownBudget.bracketsPerBlock + 1) + "<script>alert(1)</script> & \"'"
        let html = renderer.html("intro\n\n" + hostile + "\n\n```\n[[[\n```")
        #expect(html.contains("<p>intro</p>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;&#39;"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("<pre><code>[[[\n</code></pre>"), "a fenced block after it is markdown again")
        let ordinary = (0..<2_000).map { "Paragraph \($0) with a [link](https://example.com/\($0)) and **bold**, `code`." }
            .joined(separator: "\n\n")
        #expect(!renderer.html(ordinary).contains("unrendered"), "a long ordinary note is rendered whole")
    }

    @Test func renderedHTMLIsKeptPerVersion() async {
        let html = NoteHTML()
        let note = Note(
            id: NoteID(), title: "t", content: "**bold**", tags: [], ownerID: nil, author: "a@b", lastEditor: "a@b", isShared: false,
            videoID: nil, version: 3, createdAt: Date(), updatedAt: Date(), deletedAt: nil, homeNode: nil)
        #expect(await html.of(note) == "<p><strong>bold</strong></p>\n")
        var edited = note
        edited.content = "changed"
        #expect(await html.of(edited) == "<p><strong>bold</strong></p>\n", "a version's HTML is rendered once")
        edited.version = 4
        #expect(await html.of(edited) == "<p>changed</p>\n")
    }
}
