import Foundation
import HubAPI
import HTTPTypes
import HubAccounts
import HubCore
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing

@testable import HubWeb

/// Issue 13's findings that the router answers: numbers from requests are bounded, first sign-ups
/// race safely, sign-in returns only to this site, cookie requests need this origin with its
/// scheme, forms are bounded, titles are printable, and a note can be shared without its past.
@Suite struct RequestSafetyTests {
    static let json: HTTPFields = [.contentType: "application/json"]

    @Test func numbersFromRequestsAreBoundedBeforeAnyArithmetic() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let note = try await NoteAPITests.create(client, ["title": "Counted", "content": "one"])
            // The finding: one GET of /?page=2^63-1 trapped in (page - 1) * pageSize and killed the hub.
            for uri in [
                "/?page=9223372036854775807", "/?page=-1", "/?page=0", "/?page=1e3", "/notes?page=9223372036854775807",
                "/notes/\(note.id)/history?from=9223372036854775807", "/notes/\(note.id)/history?to=-9223372036854775808",
                "/notes/\(note.id)/history?version=99999999999999999999", "/api/v1/videos?offset=9223372036854775807",
                "/api/v1/notes?limit=9223372036854775807", "/api/v1/notes/\(note.id)/diff?from=9223372036854775807",
                "/api/v1/analytics/notes?days=9223372036854775807",
            ] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .badRequest, "\(uri)")
                #expect(response.errorCode == "invalid_parameter", "\(uri)")
            }
            #expect(try await client.execute(uri: "/?page=1000000", method: .get).status == .ok, "the largest page is just empty")
            #expect(try await client.execute(uri: "/notes/\(note.id)/history?from=1&to=1", method: .get).status == .ok)
        }
    }

    @Test func searchesAreBoundedInWordsAndBytes() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let many = Array(repeating: "a", count: QueryBounds.searchWords + 1).joined(separator: "%20")
            let long = String(repeating: "x", count: QueryBounds.searchBytes + 1)
            let punctuated = Array(repeating: "a", count: 1_000).joined(separator: "-")
            for query in [many, long, punctuated] {
                for path in ["/api/v1/notes?q=", "/api/v1/videos?q=", "/notes?q=", "/?q="] {
                    let response = try await client.execute(uri: path + query, method: .get)
                    #expect(response.status == .badRequest && response.errorCode == "invalid_query", "\(path)\(query.prefix(20))")
                }
            }
            let fine = Array(repeating: "plan", count: QueryBounds.searchWords).joined(separator: "%20")
            #expect(try await client.execute(uri: "/api/v1/notes?q=" + fine, method: .get).status == .ok)
        }
    }

    @Test func aLongDiffIsCutNotBuiltWhole() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let note = try await NoteAPITests.create(client, ["title": "Lines", "content": String(repeating: "a\n", count: 30_000)])
            _ = try await client.execute(
                uri: "/api/v1/notes/\(note.id)", method: .patch, headers: Self.json, body: NoteAPITests.body(["content": String(repeating: "b\n", count: 30_000)]))
            let diff = try await client.execute(uri: "/api/v1/notes/\(note.id)/diff?from=1&to=2", method: .get).decode(NoteDiffResource.self)
            #expect(diff.lines.count == 20_000 && diff.truncated)
            let page = try await client.execute(uri: "/notes/\(note.id)/history?from=1&to=2", method: .get)
            #expect(page.status == .ok && String(buffer: page.body).contains("id=\"diff-truncated\""))
        }
    }

    @Test func tenSimultaneousFirstSignUpsMakeExactlyOneAdmin() async throws {
        let hub = try TestHub()
        try await hub.application.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let response = try await SessionTests.post(client, "/api/v1/signup", #"{"name": "user\#(index)", "password": "correct horse"}"#)
                        return (response.status, response.status == .created ? try response.decode(UserResource.self).role : response.errorCode)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == .created }.count == 1)
            #expect(statuses.filter { $0.0 == .created }.allSatisfy { $0.1 == "admin" })
            #expect(statuses.filter { $0.0 != .created }.allSatisfy { $0 == (.forbidden, "signup_closed") })
        }
        #expect(try await hub.services.accounts.users().filter(\.isAdmin).count == 1)
    }

    @Test func signInReturnsOnlyToAPathOnThisHub() async throws {
        for hostile in [
            "/\t/evil.example:8080/pwned", "/\n/evil.example", "/\r/evil.example", "/%09/evil.example", "/%0a/evil.example", "/%0D/evil.example",
            "/%2F/evil.example", "/%5C/evil.example", "/\\/evil.example", "/x\u{0}y", "//evil.example", "https://evil.example", "/\u{7f}/evil",
        ] {
            #expect(AccountPageController.safeNext(hostile) == "/", "\(hostile.debugDescription)")
        }
        #expect(AccountPageController.safeNext("/notes?view=mine&q=a%20b") == "/notes?view=mine&q=a%20b")
        let hub = try TestHub()
        try await hub.test { client in
            // A signed-in visitor is sent straight on: only ever to this site.
            let response = try await client.execute(uri: "/login?next=/%09/evil.example:8080/pwned", method: .get)
            #expect(response.status == .found && response.headers[.location] == "/")
        }
    }

    @Test func theOriginCheckComparesTheSchemeToo() {
        #expect(AuthenticationMiddleware.origin("http://hub.example", matches: "hub.example", scheme: "http"))
        #expect(!AuthenticationMiddleware.origin("https://hub.example", matches: "hub.example", scheme: "http"))
        #expect(!AuthenticationMiddleware.origin("http://hub.example", matches: "hub.example", scheme: "https"))
        #expect(!AuthenticationMiddleware.origin("http://hub.example.evil", matches: "hub.example", scheme: "http"))
        // Live, with the hub's real authority: Tests/e2e/test_security.py.
    }

    @Test func formFieldsBesidesTheFileAreBounded() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let many = VideoAPITests.multipart((0...MultipartUpload.maximumFields).map { ("f\($0)", nil, [65]) })
            let tooMany = try await client.execute(uri: "/api/v1/videos", method: .post, headers: VideoAPITests.formType, body: many)
            #expect(tooMany.status == .contentTooLarge && tooMany.errorCode == "too_many_fields")
            let chunk = [UInt8](repeating: 66, count: 60_000)
            let heavy = VideoAPITests.multipart((0..<5).map { ("f\($0)", nil, chunk) })
            let tooHeavy = try await client.execute(uri: "/api/v1/videos", method: .post, headers: VideoAPITests.formType, body: heavy)
            #expect(tooHeavy.status == .contentTooLarge && tooHeavy.errorCode == "fields_too_large")
        }
        #expect(hub.stagedFiles.isEmpty)
    }

    @Test func titlesWithControlCharactersAreRefused() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let note = try await client.execute(uri: "/api/v1/notes", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"title": "a\u0000b"}"#))
            #expect(note.status == .badRequest && note.errorCode == "invalid_title")
            let tags = try await client.execute(uri: "/api/v1/notes", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"title": "t", "tags": ["a\u001bb"]}"#))
            #expect(tags.status == .badRequest && tags.errorCode == "invalid_tags")
            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 100))
            let video = try await client.execute(
                uri: "/api/v1/videos/\(upload.headers[.videoID]!)", method: .patch, headers: Self.json, body: ByteBuffer(string: #"{"title": "nul\u0000"}"#))
            #expect(video.status == .badRequest && video.errorCode == "invalid_title")
        }
    }

    @Test func aNoteCanBeSharedWithoutItsHistory() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let note = try await NoteAPITests.create(client, ["title": "Keys", "content": "secret: hunter2"])
            _ = try await client.execute(uri: "/api/v1/notes/\(note.id)", method: .patch, headers: Self.json, body: NoteAPITests.body(["content": "secret: gone"]))
            let bad = try await client.execute(uri: "/api/v1/notes/\(note.id)/share", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"history": "some"}"#))
            #expect(bad.status == .badRequest)
            let shared = try await client.execute(uri: "/api/v1/notes/\(note.id)/share", method: .post, headers: Self.json, body: ByteBuffer(string: #"{"history": "none"}"#))
            #expect(shared.status == .created)
            let fresh = try shared.decode(NoteResource.self)
            #expect(fresh.id != note.id && shared.headers[.location] == "/api/v1/notes/\(fresh.id)")
            let versions = try await client.execute(uri: "/api/v1/notes/\(fresh.id)/versions/1", method: .get)
            #expect(try versions.decode(NoteResource.self).content == "secret: gone")
            #expect(try await client.execute(uri: "/api/v1/notes/\(fresh.id)/versions/2", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/notes/\(note.id)", method: .get).status == .notFound, "the old one is in the trash")
            // Without a body, sharing keeps its meaning: the note itself, history and all.
            let other = try await NoteAPITests.create(client, ["title": "Plain", "content": "x"])
            let plain = try await client.execute(uri: "/api/v1/notes/\(other.id)/share", method: .post)
            #expect(plain.status == .ok)
            #expect(try plain.decode(NoteResource.self).id == other.id)
        }
    }

    @Test func transferCodingsOtherThanChunkedAreRefused() {
        func head(_ headers: [(String, String)]) -> HTTPRequestHead {
            HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders(headers))
        }
        #expect(ConnectionGuard.refusal(of: head([])) == nil)
        #expect(ConnectionGuard.refusal(of: head([("Transfer-Encoding", "chunked")])) == nil)
        #expect(ConnectionGuard.refusal(of: head([("Transfer-Encoding", "Chunked ")])) == nil)
        #expect(ConnectionGuard.refusal(of: head([("Transfer-Encoding", "bogus")]))?.status == .notImplemented)
        #expect(ConnectionGuard.refusal(of: head([("Transfer-Encoding", "gzip, chunked")]))?.status == .notImplemented)
        #expect(ConnectionGuard.refusal(of: head([("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]))?.status == .notImplemented)
        #expect(ConnectionGuard.refusal(of: head([("Transfer-Encoding", "chunked"), ("Content-Length", "5")]))?.status == .badRequest)
    }

    @Test func eachRouteTakesTheBodyItNeedsAndNoMore() throws {
        let limits = RequestBodyLimits(try TestHub(maxUploadBytes: 1_000_000, noteMaxBytes: 1_000).services.configuration)
        #expect(limits.limit(method: .post, path: "/api/v1/session").bytes == 1 << 20)
        #expect(limits.limit(method: .post, path: "/api/v1/tokens").bytes == 1 << 20)
        #expect(limits.limit(method: .post, path: "/api/v1/videos").bytes == 1_000_000 + MultipartUpload.formOverhead)
        #expect(limits.limit(method: .patch, path: "/api/v1/videos/x").bytes == 1 << 20)
        #expect(limits.limit(method: .patch, path: "/api/v1/uploads/x").bytes == 1_000_000)
        #expect(limits.limit(method: .post, path: "/api/v1/notes").code == "note_too_large")
    }
}
