import Foundation
import HTTPTypes
import HubCore
import Hummingbird

/// Serves the pages' CSS and scripts, which every page — the sign-in page included — needs
/// without an account.
struct StaticAssetController: Sendable {
    let assets = StaticAssets.load()

    func addRoutes(to router: Router<HubRequestContext>) {
        router.get("static/:file", use: asset)
    }

    @Sendable func asset(_ request: Request, context: HubRequestContext) async throws -> Response {
        guard let name = context.parameters.get("file"), let asset = assets.files[name] else {
            throw APIError.notFound("asset")
        }
        if request.headers[.ifNoneMatch] == asset.etag { return Response(status: .notModified) }
        var headers = HTTPFields()
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
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
        for name in ["app.css", "hub.js", "upload.js", "adaptive.js", "player.js", "notes.js"] {
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

