import Foundation
import HTTPTypes
import HubCore
import Hummingbird
import Mustache

/// The server-rendered web UI: library, upload page and player. Pages only read; every change
/// goes through the JSON API from the page's script, so there is one write path to secure.
struct PageController<Context: RequestContext>: Sendable {
    let environment: HubEnvironment
    let templates: MustacheLibrary
    let assets: StaticAssets

    init(environment: HubEnvironment) {
        self.environment = environment
        self.templates = Self.loadTemplates()
        self.assets = StaticAssets.load()
    }

    /// Videos per library page.
    private var pageSize: Int { 24 }

    func addRoutes(to router: Router<Context>) {
        router.get("/", use: library)
        router.get("upload", use: upload)
        router.get("videos/:id", use: player)
        router.get("static/:file", use: asset)
    }

    @Sendable func library(_ request: Request, context: Context) async throws -> Response {
        let query = request.uri.queryParameters["q"].map(String.init) ?? ""
        let page = max(1, request.uri.queryParameters["page"].flatMap { Int($0) } ?? 1)
        let result = try await environment.videos.list(
            query: query, offset: min((page - 1) * pageSize, Int(Int32.max)), limit: pageSize)
        func link(_ page: Int) -> String {
            var components = URLComponents()
            components.queryItems = (query.isEmpty ? [] : [URLQueryItem(name: "q", value: query)]) + [URLQueryItem(name: "page", value: String(page))]
            return "/" + (components.string ?? "")
        }
        let view: [String: Any] = [
            "pageTitle": query.isEmpty ? "Library" : "Search: \(query)",
            "query": query,
            "isEmpty": result.items.isEmpty,
            "videos": result.items.map(Self.card),
            "previousPage": page > 1 ? link(page - 1) : false,
            "nextPage": page * pageSize < result.total ? link(page + 1) : false,
        ]
        return html(render("library", view))
    }

    @Sendable func upload(_ request: Request, context: Context) async throws -> Response {
        html(render("upload", ["pageTitle": "Upload", "maxUploadBytes": environment.configuration.maxUploadBytes]))
    }

    @Sendable func player(_ request: Request, context: Context) async throws -> Response {
        let video: Video
        do {
            video = try await environment.video(context.parameters.get("id"))
        } catch let error as HubError where error.status == 404 {
            var response = html(render("error", ["pageTitle": "Not found", "heading": "Video not found", "message": "It may have been deleted."]))
            response.status = .notFound
            return response
        }
        let media = video.media
        let view: [String: Any] = [
            "pageTitle": video.title,
            "video": [
                "id": video.id.rawValue,
                "title": video.title,
                "description": video.description,
                "tags": video.tags,
                "tagList": video.tags.joined(separator: ", "),
                "streamUrl": "/api/v1/videos/\(video.id)/stream",
                "thumbnailUrl": video.thumbnailKey == nil ? false : "/api/v1/videos/\(video.id)/thumbnail",
                "duration": Format.duration(media.durationSeconds),
                "size": Format.bytes(video.sizeBytes),
                "resolution": media.width.flatMap { w in media.height.map { "\(w)×\($0)" } } ?? false,
                "codecs": [media.videoCodec, media.audioCodec].compactMap { $0 }.joined(separator: " / "),
                "contentType": video.contentType,
                "filename": video.originalFilename,
                "createdAt": ISO8601DateFormatter().string(from: video.createdAt),
            ] as [String: Any],
        ]
        return html(render("player", view))
    }

    @Sendable func asset(_ request: Request, context: Context) async throws -> Response {
        guard let name = context.parameters.get("file"), let asset = assets.files[name] else {
            throw HubError.notFound("asset")
        }
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified) }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }

    private static func card(_ video: Video) -> [String: Any] {
        [
            "id": video.id.rawValue,
            "title": video.title,
            "thumbnailUrl": video.thumbnailKey == nil ? false : "/api/v1/videos/\(video.id)/thumbnail",
            "duration": Format.duration(video.media.durationSeconds),
            "size": Format.bytes(video.sizeBytes),
        ]
    }

    private func render(_ template: String, _ view: [String: Any]) -> String {
        templates.render(view, withTemplate: template) ?? ""
    }

    private func html(_ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Templates ship in the module's resource bundle; a missing or broken one is a packaging
    /// error, caught by the page tests, so it stops the process loudly.
    private static func loadTemplates() -> MustacheLibrary {
        var library = MustacheLibrary()
        for name in ["head", "foot", "library", "upload", "player", "error"] {
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

/// The page's CSS and scripts, read once at start-up.
struct StaticAssets: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        var etag: String
    }

    var files: [String: Asset]

    static func load() -> StaticAssets {
        var files: [String: Asset] = [:]
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"]
        for name in ["app.css", "upload.js", "player.js"] {
            let parts = name.split(separator: ".")
            guard let url = Bundle.module.url(forResource: String(parts[0]), withExtension: String(parts[1]), subdirectory: "Resources/static"),
                let data = try? Data(contentsOf: url)
            else { fatalError("asset \(name) is missing from the HubWeb resource bundle") }
            files[name] = Asset(
                bytes: ByteBuffer(bytes: data), contentType: types[String(parts[1])] ?? "application/octet-stream",
                etag: "\"\(String(fnv1a(data), radix: 16))\"")
        }
        return StaticAssets(files: files)
    }
}

/// FNV-1a: a stable content hash for asset ETags (Swift's `hashValue` is seeded per process, so
/// it would change on every restart and differ between instances).
private func fnv1a(_ data: Data) -> UInt64 {
    data.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
}

enum Format {
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "–" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
