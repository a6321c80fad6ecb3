import Foundation
import HubAPI
import HubCore
import HubMedia
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

@Suite struct VideoAPITests {
    static func multipart(_ parts: [(name: String, filename: String?, bytes: [UInt8])], boundary: String = "XyZ") -> ByteBuffer {
        var body = ByteBuffer()
        for part in parts {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"")
            if let filename = part.filename { body.writeString("; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream") }
            body.writeString("\r\n\r\n")
            body.writeBytes(part.bytes)
            body.writeString("\r\n")
        }
        body.writeString("--\(boundary)--\r\n")
        return body
    }

    static let formType: HTTPFields = [.contentType: "multipart/form-data; boundary=XyZ"]

    @Test func multipartUploadListGetPatchDelete() async throws {
        let hub = try TestHub()
        let bytes = fakeMP4(size: 70_000)
        try await hub.test { client in
            let body = Self.multipart([
                ("title", nil, Array("Sunset".utf8)), ("description", nil, Array("over the bay".utf8)),
                ("tags", nil, Array("sea, evening".utf8)), ("file", "sunset.mp4", bytes),
            ])
            let created = try await client.execute(uri: "/api/v1/videos", method: .post, headers: Self.formType, body: body)
            #expect(created.status == .created)
            let video = try created.decode(VideoResource.self)
            #expect(created.headers[.location] == "/api/v1/videos/\(video.id)")
            #expect(video.title == "Sunset")
            #expect(video.tags == ["sea", "evening"])
            #expect(video.sizeBytes == 70_000)
            let stored = try await hub.services.videos.store.contents(of: VideoIngestor.manifestKey(of: #require(VideoID(video.id))), limit: 1 << 20)
            #expect(try BlockManifest(decoding: stored).sha256 == video.sha256, "a form upload has its manifest too")

            let search = try await client.execute(uri: "/api/v1/videos?q=even", method: .get).decode(VideoListResource.self)
            #expect(search.items.map(\.id) == [video.id])
            #expect(try await client.execute(uri: "/api/v1/videos?q=winter", method: .get).decode(VideoListResource.self).total == 0)

            let patched = try await client.execute(
                uri: "/api/v1/videos/\(video.id)", method: .patch, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"title": "Sunset at sea", "tags": ["sea"]}"#))
            #expect(patched.status == .ok)
            #expect(try patched.decode(VideoResource.self).title == "Sunset at sea")
            #expect(try patched.decode(VideoResource.self).description == "over the bay")

            #expect(try await client.execute(uri: "/api/v1/videos/\(video.id)", method: .delete).status == .noContent)
            #expect(try await client.execute(uri: "/api/v1/videos/\(video.id)", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/videos/\(video.id)/stream", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/videos/\(video.id)", method: .delete).status == .notFound)
        }
        let remaining = try FileManager.default.subpathsOfDirectory(atPath: hub.directory + "/uploads/objects")
        #expect(!remaining.contains { $0.hasSuffix("source") || $0.hasSuffix("blocks") }, "deleting a video removes its bytes and manifest")
    }

    @Test func badMultipartUploads() async throws {
        let hub = try TestHub(maxUploadBytes: 100_000)
        try await hub.test { client in
            let noFile = try await client.execute(uri: "/api/v1/videos", method: .post, headers: Self.formType, body: Self.multipart([("title", nil, [65])]))
            #expect(noFile.status == .badRequest)
            #expect(noFile.errorCode == "missing_file")

            let notMultipart = try await client.execute(uri: "/api/v1/videos", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(notMultipart.status == .unsupportedMediaType)

            let noBoundary = try await client.execute(uri: "/api/v1/videos", method: .post, headers: [.contentType: "multipart/form-data"], body: ByteBuffer(string: "x"))
            #expect(noBoundary.status == .badRequest)

            let truncated = try await client.execute(uri: "/api/v1/videos", method: .post, headers: Self.formType, body: ByteBuffer(string: "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\n\r\nabc"))
            #expect(truncated.status == .badRequest)
            #expect(truncated.errorCode == "invalid_multipart")

            let notVideo = try await client.execute(uri: "/api/v1/videos", method: .post, headers: Self.formType, body: Self.multipart([("file", "a.mp4", Array("just text, not a video".utf8))]))
            #expect(notVideo.status == .unsupportedMediaType)

            let tooLarge = try await client.execute(uri: "/api/v1/videos", method: .post, headers: Self.formType, body: Self.multipart([("file", "big.mp4", fakeMP4(size: 100_001))]))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "payload_too_large")
        }
        #expect(hub.stagedFiles.isEmpty, "refused uploads leave no partial files")
    }

    @Test func badLibraryRequests() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            #expect(try await client.execute(uri: "/api/v1/videos?limit=0", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/videos?limit=abc", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/videos?offset=-1", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/videos?q=%22%20OR%20*", method: .get).status == .ok)

            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 100))
            let url = "/api/v1/videos/\(upload.headers[.videoID]!)"
            for body in ["{", "not json", #"{"title": 5}"#, #"{"title": ""}"#, #"{"tags": "a"}"#, "{\"title\": \"\(String(repeating: "t", count: 300))\"}"] {
                let response = try await client.execute(uri: url, method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorCode != nil)
            }
            #expect(try await client.execute(uri: "/api/v1/videos/\(UUID().uuidString.lowercased())", method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}")).status == .notFound)
        }
    }

    @Test func healthAndReadiness() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(String(buffer: ready.body).contains("\"database\":\"ok\""))
        }
    }

    @Test func pages() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 100), metadata: "title " + Data("<script>x</script>".utf8).base64EncodedString())
            let id = try #require(upload.headers[.videoID])
            let library = try await client.execute(uri: "/", method: .get)
            #expect(library.status == .ok)
            #expect(library.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: library.body)
            #expect(html.contains("/videos/\(id)"))
            #expect(html.contains("&lt;script&gt;x&lt;/script&gt;"), "titles are escaped")
            #expect(!html.contains("<script>x</script>"))
            #expect(try await client.execute(uri: "/videos/\(id)", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/videos/\(UUID().uuidString.lowercased())", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/upload", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/static/upload.js", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/static/missing.js", method: .get).status == .notFound)
            #expect(String(buffer: try await client.execute(uri: "/?q=%22%3E%3Cb%3E", method: .get).body).contains("&quot;&gt;&lt;b&gt;"))
        }
    }
}
