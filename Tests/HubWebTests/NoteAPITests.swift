import Foundation
import HubAPI
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

@Suite struct NoteAPITests {
    static let json: HTTPFields = [.contentType: "application/json"]

    static func body(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static func create(_ client: some TestClientProtocol, _ object: [String: Any]) async throws -> NoteResource {
        let response = try await client.execute(uri: "/api/v1/notes", method: .post, headers: json, body: body(object))
        #expect(response.status == .created)
        return try response.decode(NoteResource.self)
    }

    @Test func lifecycleThroughTheAPI() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let note = try await Self.create(client, ["title": "Runbook", "content": "# Steps\n1. deploy", "tags": ["Ops"]])
            #expect(note.html == nil, "saves answer without rendering")
            #expect(note.tags == ["ops"])
            #expect(note.author == "member@stream-hub-\(ProcessInfo.processInfo.hostName)")

            let get = try await client.execute(uri: "/api/v1/notes/\(note.id)", method: .get)
            #expect(try get.decode(NoteResource.self).version == 1)
            #expect(try get.decode(NoteResource.self).html?.contains("<h1>Steps</h1>") == true)

            let patched = try await client.execute(
                uri: "/api/v1/notes/\(note.id)", method: .patch, headers: Self.json,
                body: Self.body(["content": "# Steps\n1. deploy\n2. verify", "baseVersion": 1]))
            #expect(patched.status == .ok)
            #expect(try patched.decode(NoteResource.self).version == 2)
            #expect(try patched.decode(NoteResource.self).content == nil, "an unmerged save does not echo the text back")

            let versions = try await client.execute(uri: "/api/v1/notes/\(note.id)/versions", method: .get)
            #expect(String(buffer: versions.body).contains("\"version\":2"))
            let v1 = try await client.execute(uri: "/api/v1/notes/\(note.id)/versions/1", method: .get)
            #expect(try v1.decode(NoteResource.self).content == "# Steps\n1. deploy")
            let diff = try await client.execute(uri: "/api/v1/notes/\(note.id)/diff?from=1&to=2", method: .get)
            #expect(String(buffer: diff.body).contains(#"{"kind":"added","text":"2. verify"}"#) || String(buffer: diff.body).contains("2. verify"))

            #expect(try await client.execute(uri: "/api/v1/notes/\(note.id)/share", method: .post).decode(NoteResource.self).shared)
            #expect(try await client.execute(uri: "/api/v1/notes/\(note.id)/unshare", method: .post).decode(NoteResource.self).shared == false)

            let restored = try await client.execute(uri: "/api/v1/notes/\(note.id)/versions/1/restore", method: .post)
            #expect(try restored.decode(NoteResource.self).content == "# Steps\n1. deploy")

            #expect(try await client.execute(uri: "/api/v1/notes/\(note.id)", method: .delete).status == .noContent)
            let gone = try await client.execute(uri: "/api/v1/notes/\(note.id)", method: .get)
            #expect(gone.status == .notFound)
            #expect(gone.errorCode == "note_deleted")
            let trash = try await client.execute(uri: "/api/v1/notes?deleted=true", method: .get).decode(NoteListResource.self)
            #expect(trash.items.map(\.id) == [note.id])
            #expect(try await client.execute(uri: "/api/v1/notes/\(note.id)/restore", method: .post).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/notes/\(note.id)", method: .get).status == .ok)
        }
    }

    @Test func badInputGetsClearErrors() async throws {
        let hub = try TestHub(noteMaxBytes: 10_000)
        try await hub.test { client in
            let note = try await Self.create(client, ["title": "Target", "content": "x"])
            let url = "/api/v1/notes/\(note.id)"
            // Over the size limit: in the content, and as a body too large to read.
            let big = try await client.execute(
                uri: "/api/v1/notes", method: .post, headers: Self.json, body: Self.body(["title": "Big", "content": String(repeating: "a", count: 10_001)]))
            #expect(big.status == .contentTooLarge)
            #expect(big.errorCode == "note_too_large")
            let huge = try await client.execute(
                uri: url, method: .patch, headers: Self.json, body: ByteBuffer(string: "{\"content\":\"" + String(repeating: "b", count: 200_000) + "\"}"))
            #expect(huge.status == .contentTooLarge)
            // Invalid UTF-8 and truncated JSON.
            var invalid = ByteBuffer(string: "{\"title\":\"bad ")
            invalid.writeBytes([0xff, 0xfe, 0x80])
            invalid.writeString("\"}")
            let badUTF8 = try await client.execute(uri: "/api/v1/notes", method: .post, headers: Self.json, body: invalid)
            #expect(badUTF8.status == .badRequest)
            #expect(badUTF8.errorCode == "invalid_json")
            let truncated = try await client.execute(uri: url, method: .patch, headers: Self.json, body: ByteBuffer(string: "{\"content\": \"half"))
            #expect(truncated.status == .badRequest)
            let wrongShape = try await client.execute(uri: url, method: .patch, headers: Self.json, body: ByteBuffer(string: "{\"tags\": \"not a list\"}"))
            #expect(wrongShape.status == .badRequest)
            let badTitle = try await client.execute(uri: url, method: .patch, headers: Self.json, body: Self.body(["title": "   "]))
            #expect(badTitle.errorCode == "invalid_title")
            // Unknown versions and ids.
            for path in ["\(url)/versions/2", "\(url)/versions/0", "\(url)/versions/abc", "/api/v1/notes/\(UUID().uuidString.lowercased())", "/api/v1/notes/not-an-id"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.errorCode != nil)
            }
            let future = try await client.execute(uri: url, method: .patch, headers: Self.json, body: Self.body(["content": "y", "baseVersion": 7]))
            #expect(future.status == .conflict)
            #expect(future.errorCode == "invalid_base_version")
            // A version number is 1 or more, on a new note as on a change.
            for (path, method) in [(url, HTTPRequest.Method.patch), ("/api/v1/notes", .post)] {
                for version in [0, -5, Int(Int32.max) + 1] {
                    let response = try await client.execute(uri: path, method: method, headers: Self.json, body: Self.body(["title": "v", "baseVersion": version]))
                    #expect(response.status == .badRequest, "\(method) \(version)")
                    #expect(response.errorCode == "invalid_json")
                }
            }
            // Editing a deleted note.
            #expect(try await client.execute(uri: url, method: .delete).status == .noContent)
            let deleted = try await client.execute(uri: url, method: .patch, headers: Self.json, body: Self.body(["content": "z"]))
            #expect(deleted.status == .conflict)
            #expect(deleted.errorCode == "note_deleted")
            // Query parameters.
            #expect(try await client.execute(uri: "/api/v1/notes?limit=0", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/api/v1/notes?shared=maybe", method: .get).status == .badRequest)
            // Unauthenticated.
            for (path, method) in [("/api/v1/notes", HTTPRequest.Method.get), ("/api/v1/notes", .post), (url, .get), ("/api/v1/analytics/notes", .get)] {
                let response = try await client.anonymous.execute(uri: path, method: method, headers: Self.json, body: Self.body(["title": "x"]))
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func hostileSearchIsSafeAndEscaped() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            _ = try await Self.create(client, ["title": "<script>alert('xss')</script> deploy", "content": "deploy <b>now</b>"])
            for query in ["\"", "deploy\" OR \"", "title:deploy", "NEAR(a b)", "'; DROP TABLE note; --", "*", "%00", "\u{E000}"] {
                let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await client.execute(uri: "/api/v1/notes?q=\(encoded)", method: .get)
                #expect(response.status == .ok, "\(query)")
            }
            let found = try await client.execute(uri: "/api/v1/notes?q=deploy", method: .get).decode(NoteListResource.self)
            #expect(found.total == 1)
            let highlight = try #require(found.items.first?.titleHighlight)
            #expect(highlight.hasPrefix("&lt;script&gt;"))
            #expect(highlight.contains("<mark>deploy</mark>"))
            #expect(found.items.first?.snippet?.contains("&lt;b&gt;") == true)
        }
    }

    @Test func concurrentSavesOfOneNoteAreBothKept() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let note = try await Self.create(client, ["title": "Agenda", "content": "one\ntwo\nthree", "shared": true])
            let url = "/api/v1/notes/\(note.id)"
            async let first = client.execute(uri: url, method: .patch, headers: Self.json, body: Self.body(["content": "ONE\ntwo\nthree", "baseVersion": 1]))
            async let second = client.admin.execute(uri: url, method: .patch, headers: Self.json, body: Self.body(["content": "one\ntwo\nthree\nfour", "baseVersion": 1]))
            let responses = try await [first, second]
            #expect(responses.allSatisfy { $0.status == .ok })
            let merged = try responses.map { try $0.decode(NoteResource.self) }.filter { $0.merged == true }
            #expect(merged.count == 1)
            #expect(merged.first?.content == "ONE\ntwo\nthree\nfour", "a merged save answers with the merged text")
            let final = try await client.execute(uri: url, method: .get).decode(NoteResource.self)
            #expect(final.content == "ONE\ntwo\nthree\nfour")
            #expect(final.version == 3)
        }
    }

    @Test func membersEditSharedNotesButOnlyOwnersManageThem() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let owner = client.admin
            let shared = try await Self.create(owner, ["title": "Team", "content": "x", "shared": true])
            let secret = try await Self.create(owner, ["title": "Mine", "content": "y"])
            let edit = try await client.execute(
                uri: "/api/v1/notes/\(shared.id)", method: .patch, headers: Self.json, body: Self.body(["content": "x and more", "baseVersion": 1]))
            #expect(edit.status == .ok)
            #expect(try edit.decode(NoteResource.self).canManage == false)
            #expect(try await client.execute(uri: "/api/v1/notes/\(shared.id)/unshare", method: .post).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/notes/\(shared.id)", method: .delete).status == .forbidden)
            #expect(try await client.execute(uri: "/api/v1/notes/\(secret.id)", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/notes/\(secret.id)/versions", method: .get).status == .notFound)
            let list = try await client.execute(uri: "/api/v1/notes", method: .get).decode(NoteListResource.self)
            #expect(list.items.map(\.id) == [shared.id])
        }
    }

    @Test func previewAndAnalytics() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let preview = try await client.execute(
                uri: "/api/v1/notes/preview", method: .post, headers: Self.json,
                body: Self.body(["content": "**b** <img src=x onerror=alert(1)> [2:05]", "timestamps": true]))
            let html = try preview.decode(RenderedMarkdown.self).html
            #expect(html.contains("<strong>b</strong>"))
            #expect(!html.contains("onerror"))
            #expect(html.contains("#t=125"))
            let note = try await Self.create(client, ["title": "Counted", "content": "z", "tags": ["stats"]])
            _ = try await client.execute(uri: "/api/v1/notes/\(note.id)", method: .get)
            _ = try await client.execute(uri: "/api/v1/notes?q=missing", method: .get)
            let analytics = try await client.execute(uri: "/api/v1/analytics/notes", method: .get)
            #expect(analytics.status == .ok)
            let text = String(buffer: analytics.body)
            #expect(text.contains("\"mostViewed\""))
            #expect(text.contains("\"unansweredSearches\":[{"))
            #expect(text.contains("\"term\":\"stats\""))
        }
    }

    @Test func aVideosNotesShowInFullBesideItsPlayer() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let upload = try await client.execute(
                uri: "/api/v1/videos", method: .post, headers: VideoAPITests.formType,
                body: VideoAPITests.multipart([("file", "clip.mp4", fakeMP4(size: 5_000))]))
            let video = try upload.decode(VideoResource.self)
            let long = String(repeating: "Words before the moment. ", count: 20) + "Watch [0:05] closely."
            _ = try await Self.create(client, ["title": "Moments", "content": long, "videoId": video.id])
            let unknownVideo = try await client.execute(
                uri: "/api/v1/notes", method: .post, headers: Self.json,
                body: Self.body(["title": "Lost", "content": "x", "videoId": UUID().uuidString.lowercased()]))
            #expect(unknownVideo.status == .notFound)
            let page = String(buffer: try await client.execute(uri: "/videos/\(video.id)", method: .get).body)
            #expect(page.contains("Moments"))
            #expect(page.contains(##"<a href="#t=5" title="Play from 0:05">[0:05]</a>"##), "the whole note, past any excerpt, with its timestamp linked")
            let listed = try await client.execute(uri: "/api/v1/notes?video=\(video.id)", method: .get).decode(NoteListResource.self)
            #expect(listed.total == 1)
        }
    }

    @Test func pagesRender() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let note = try await Self.create(client, ["title": "Page note", "content": "# Heading\n<script>alert(1)</script>", "tags": ["web"]])
            _ = try await client.execute(
                uri: "/api/v1/notes/\(note.id)", method: .patch, headers: Self.json, body: Self.body(["content": "# Heading\nchanged", "baseVersion": 1]))
            let pages = [
                "/notes", "/notes?view=mine", "/notes?view=community", "/notes?view=trash", "/notes?q=heading", "/notes?tag=web",
                "/notes/new", "/notes/\(note.id)", "/notes/\(note.id)/edit", "/notes/\(note.id)/history",
                "/notes/\(note.id)/history?from=1&to=2&version=1", "/notes/analytics",
            ]
            for page in pages {
                let response = try await client.execute(uri: page, method: .get)
                #expect(response.status == .ok, "\(page)")
                let html = String(buffer: response.body)
                #expect(!html.contains("<script>alert"), "\(page)")
            }
            let history = String(buffer: try await client.execute(uri: "/notes/\(note.id)/history?from=1&to=2", method: .get).body)
            #expect(history.contains("class=\"added\""))
            let analytics = String(buffer: try await client.execute(uri: "/notes/analytics", method: .get).body)
            #expect(analytics.contains("<svg class=\"chart\""))
            #expect(try await client.execute(uri: "/notes/\(UUID().uuidString.lowercased())", method: .get).status == .notFound)
            // Every script the templates load is served as a script.
            for script in ["hub.js", "notes.js", "player.js"] {
                let response = try await client.anonymous.execute(uri: "/static/\(script)", method: .get)
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/javascript") == true, "\(script)")
            }
            let anonymous = try await client.anonymous.execute(uri: "/notes", method: .get)
            #expect(anonymous.headers[.location]?.hasPrefix("/login?next=") == true)
        }
    }
}

@Suite struct HTMLTextTests {
    @Test func escapesAndMarks() {
        #expect(HTMLText.escape(#"<a href="x" title='y'>&</a>"#) == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTMLText.escape("naïve 👩‍💻") == "naïve 👩‍💻")
        #expect(HTMLText.highlight("a \u{E000}<b>\u{E001} c") == "a <mark>&lt;b&gt;</mark> c")
        #expect(HTMLText.escape("\u{E000}x\u{E001}") == "\u{E000}x\u{E001}", "markers are markup only in highlights")
    }
}
