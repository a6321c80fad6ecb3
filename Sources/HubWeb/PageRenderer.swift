import Foundation
import HTTPTypes
import HubCore
import Hummingbird
import Mustache

/// Renders the page templates with what every page shows: the signed-in user in the header and
/// the session's CSRF token for the page's script. Templates escape every value (`{{…}}`), and
/// none use unescaped output, so nothing a user writes becomes markup.
struct PageRenderer: Sendable {
    let templates: MustacheLibrary

    init() {
        self.templates = Self.loadTemplates()
    }

    func page(_ template: String, _ view: [String: Any], for identity: Identity?, status: HTTPResponse.Status = .ok) -> Response {
        var view = view
        if let identity {
            view["user"] = ["name": identity.user.name, "isAdmin": identity.user.isAdmin] as [String: Any]
            if case .session(let token) = identity.credential { view["csrfToken"] = token }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        // Pages show private data: never kept by shared caches, revalidated by the browser.
        headers[.cacheControl] = "private, no-cache"
        let body = templates.render(view, withTemplate: template) ?? ""
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Templates ship in the module's resource bundle; a missing or broken one is a packaging
    /// error, caught by the page tests, so it stops the process loudly.
    private static func loadTemplates() -> MustacheLibrary {
        var library = MustacheLibrary()
        for name in [
            "head", "foot", "library", "upload", "player", "error", "login", "signup", "settings", "users",
            "notes", "note", "note-edit", "note-history", "analytics", "peers",
        ] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "Resources/templates"),
                let text = try? String(contentsOf: url, encoding: .utf8)
            else { fatalError("template \(name).mustache is missing from the HubWeb resource bundle") }
            do {
                try library.register(text, named: name)
            } catch {
                fatalError("template \(name).mustache does not parse: \(error)")
            }
        }
        return library
    }
}
