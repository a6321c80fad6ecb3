import Crypto
import Foundation
import HubCore
import HubAPI
import Hummingbird
import NIOCore

/// The API contract: `GET /api/v1/openapi.json` (OpenAPI 3.1) and the reference page `/api`.
/// Both are open to anyone, like the source they describe: they hold no data of the hub's.
/// Both are made once, at start: the contract is fixed for a build.
struct APIContractController: Sendable {
    let document: ByteBuffer
    let etag: String
    let page: APIReferencePage
    let renderer: PageRenderer

    init(renderer: PageRenderer) {
        // Encoding a JSONValue of strings, numbers and objects cannot fail.
        let data = (try? OpenAPIDocument.make().encoded()) ?? Data()
        document = ByteBuffer(bytes: data)
        etag = "\"" + Array(SHA256.hash(data: data).prefix(16)).hexEncoded + "\""
        page = APIReferencePage()
        self.renderer = renderer
    }

    func addRoutes(api: RouterGroup<HubRequestContext>, pages: Router<HubRequestContext>) {
        api.get("openapi.json", use: openAPI)
        pages.get("api", use: reference)
    }

    @Sendable func openAPI(_ request: Request, context: HubRequestContext) async throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "public, no-cache", .eTag: etag]
        if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
        headers[.contentLength] = String(document.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: document))
    }

    @Sendable func reference(_ request: Request, context: HubRequestContext) async throws -> Response {
        renderer.page(page, for: context.identity)
    }
}
