import Foundation
import HubCore
import Hummingbird
import Testing

@testable import HubWeb

/// Pages are typed views; markup is printed unescaped only when it is `TrustedHTML`.
@Suite struct PageViewTests {
    @Test func templatesPrintUnescapedOnlyWhatIsNamedAsTrustedHTML() throws {
        let tripleMustache = try Regex(#"\{\{\{\s*([A-Za-z0-9_.]+)\s*\}\}\}"#)
        let ampersand = try Regex(#"\{\{&"#)
        for name in PageRenderer.templateNames {
            let text = PageRenderer.templateText(name)
            #expect(text.firstMatch(of: ampersand) == nil, "\(name) uses {{& …}}")
            for match in text.matches(of: tripleMustache) {
                let variable = String(text[match.output[1].range!])
                #expect(variable.hasSuffix("HTML"), "\(name).mustache prints \(variable) unescaped")
            }
        }
    }

    @Test func aStringNamedLikeHTMLIsCaught() {
        struct Sneaky: PageView {
            static let template = "error"
            var pageTitle = "x"
            struct Row { var snippetHTML: String }
            var rows = [Row(snippetHTML: "<script>")]
        }
        struct Honest: PageView {
            static let template = "error"
            var pageTitle = "x"
            struct Row { var snippetHTML: TrustedHTML? }
            var rows = [Row(snippetHTML: TrustedHTML(escaping: "<script>")), Row(snippetHTML: nil)]
        }
        #expect(!PageRenderer.htmlIsTrusted(in: Sneaky()))
        #expect(PageRenderer.htmlIsTrusted(in: Honest()))
        #expect(TrustedHTML(escaping: "<a href=\"x\">").html == "&lt;a href=&quot;x&quot;&gt;")
    }

    @Test func aViewWithoutATemplateIsAnErrorNotAnEmptyPage() {
        struct Orphan: PageView {
            static let template = "no-such-template"
            var pageTitle = "x"
        }
        let response = PageRenderer().page(Orphan(), for: nil)
        #expect(response.status == .internalServerError)
    }
}
