import Testing

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
}
