import Foundation
import HTTPTypes
import HubCore
import Hummingbird
import Logging
import Mustache

/// A page's view: the values its template prints, as a typed value (never a dictionary), and
/// which template that is.
protocol PageView: Sendable {
    static var template: String { get }
    var pageTitle: String { get }
}

/// Markup the hub made itself and vouches for: rendered markdown (cmark-gfm in safe mode),
/// search highlights (escaped, then marked), the analytics chart. It is the only kind of value
/// a template prints unescaped (`{{{…}}}`); templates escape everything else, so nothing a
/// user writes becomes markup. By convention its properties end in `HTML`, and in debug builds
/// the renderer checks that every such property holds one.
struct TrustedHTML: MustacheCustomRenderable, Sendable, Equatable {
    let html: String

    /// Text escaped for HTML.
    init(escaping text: some StringProtocol) { html = HTMLText.escape(text) }

    /// Markup from one of the hub's own renderers.
    init(rendered html: String) { self.html = html }

    var renderText: String { html }
    var isNull: Bool { false }
}

/// Renders the page templates with what every page shows: the signed-in user in the header and
/// the session's CSRF token for the page's script.
struct PageRenderer: Sendable {
    let templates: MustacheLibrary

    init() {
        self.templates = Self.loadTemplates()
    }

    /// The header's view of the signed-in user.
    struct SignedInUser: Sendable {
        var name: String
        var isAdmin: Bool
    }

    /// What a template is rendered with: the page's own values and the header's.
    private struct Rendered<View: PageView>: CustomReflectable {
        var view: View
        var user: SignedInUser?
        var csrfToken: String?

        var customMirror: Mirror {
            Mirror(self, children: Array(Mirror(reflecting: view).children) + [("user", user as Any), ("csrfToken", csrfToken as Any)])
        }
    }

    func page(_ view: some PageView, for identity: Identity?, status: HTTPResponse.Status = .ok) -> Response {
        assert(Self.htmlIsTrusted(in: view), "a property ending in HTML of \(type(of: view)) is not TrustedHTML")
        var rendered = Rendered(view: view)
        if let identity {
            rendered.user = SignedInUser(name: identity.user.name, isAdmin: identity.user.isAdmin)
            if case .session(let token) = identity.credential { rendered.csrfToken = token }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        // Pages show private data: never kept by shared caches, revalidated by the browser.
        headers[.cacheControl] = "private, no-cache"
        guard let body = templates.render(rendered, withTemplate: type(of: view).template) else {
            // Every template is loaded at start (a missing one stops the process), so this is a
            // view naming a template that does not exist: a programming error, not an empty page.
            return APIError(status: .internalServerError, code: "internal_error", message: "the page has no template")
                .response(requestID: nil)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Whether every property named `…HTML` (at any depth) holds `TrustedHTML`.
    static func htmlIsTrusted(in value: Any) -> Bool {
        Mirror(reflecting: value).children.allSatisfy { child in
            let unwrapped: Any? =
                Mirror(reflecting: child.value).displayStyle == .optional ? Mirror(reflecting: child.value).children.first?.value : child.value
            guard let unwrapped else { return true }
            if child.label?.hasSuffix("HTML") == true, !(unwrapped is TrustedHTML) { return false }
            if unwrapped is String || unwrapped is TrustedHTML { return true }
            return htmlIsTrusted(in: unwrapped)
        }
    }

    static let templateNames = [
        "head", "foot", "library", "upload", "player", "error", "login", "signup", "settings", "users",
        "notes", "note", "note-edit", "note-history", "analytics", "peers", "operations", "storage", "api-reference",
    ]

    /// Templates ship in the module's resource bundle; a missing or broken one is a packaging
    /// error, caught by the page tests, so it stops the process loudly.
    private static func loadTemplates() -> MustacheLibrary {
        var library = MustacheLibrary()
        for name in templateNames {
            do {
                try library.register(templateText(name), named: name)
            } catch {
                fatalError("template \(name).mustache does not parse: \(error)")
            }
        }
        return library
    }

    static func templateText(_ name: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "Resources/templates"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("template \(name).mustache is missing from the HubWeb resource bundle") }
        return text
    }
}

/// The page for something missing or refused.
struct ErrorPage: PageView {
    static let template = "error"
    var pageTitle: String
    var heading: String
    var message: String
}
