import Foundation
import HubAPI
import HTTPTypes
@testable import HubAccounts
import HubCore
import HubMedia
import HubNotes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

/// Who may do what, route by route: every route of the hub against every kind of caller, each
/// cell on a fresh hub so a refused DELETE in one cell cannot hide an allowed one in the next.
///
/// The fixture: `owner` (a member) has a private video, a shared video, an unfinished upload, a
/// private note and a shared note; `other` is another member; `admin` is the hub's admin.
/// Notes are collaborative: `other` edits the shared note, but only its owner or an admin
/// unshares or deletes it.
@Suite struct AccessMatrixTests {
    enum Caller: String, CaseIterable, CustomTestStringConvertible {
        case owner, ownerSession, other, admin, anonymous, revokedToken, expiredSession, tamperedCookie, foreignCookie
        var testDescription: String { rawValue }
    }

    struct Route: Sendable, CustomTestStringConvertible {
        var method: HTTPRequest.Method
        var path: String
        /// Expected status per caller, in `Caller.allCases` order.
        var expected: [Int]
        var testDescription: String { "\(method) \(path)" }
    }

    // Columns:                         owner ownerSession other admin anon revoked expired tampered foreign
    static let api = [401, 401, 401, 401, 401]  // what every credential-less or bad-credential caller gets on the API
    static let page = [303, 401, 303, 303, 303]  // pages redirect to sign-in; a bad bearer token is still a 401

    static let routes: [Route] = [
        Route(method: .get, path: "/api/v1/videos", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/videos?q=private", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{private}", expected: [200, 200, 404, 200] + api),
        Route(method: .patch, path: "/api/v1/videos/{private}", expected: [200, 200, 404, 200] + api),
        Route(method: .delete, path: "/api/v1/videos/{private}", expected: [204, 204, 404, 204] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/stream", expected: [206, 206, 404, 206] + api),
        Route(method: .head, path: "/api/v1/videos/{private}/stream", expected: [206, 206, 404, 206] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/thumbnail", expected: [200, 200, 404, 200] + api),
        Route(method: .head, path: "/api/v1/videos/{private}/thumbnail", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}", expected: [200, 200, 200, 200] + api),
        Route(method: .patch, path: "/api/v1/videos/{shared}", expected: [200, 200, 403, 200] + api),
        Route(method: .delete, path: "/api/v1/videos/{shared}", expected: [204, 204, 403, 204] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/stream", expected: [206, 206, 206, 206] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/thumbnail", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/renditions/playable", expected: [206, 206, 404, 206] + api),
        Route(method: .head, path: "/api/v1/videos/{private}/renditions/playable", expected: [206, 206, 404, 206] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/renditions/playable", expected: [206, 206, 206, 206] + api),
        Route(method: .put, path: "/api/v1/videos/{private}/captions/fr", expected: [201, 201, 404, 201] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/captions/en", expected: [200, 200, 404, 200] + api),
        Route(method: .delete, path: "/api/v1/videos/{private}/captions/en", expected: [204, 204, 404, 204] + api),
        Route(method: .put, path: "/api/v1/videos/{shared}/captions/fr", expected: [201, 201, 403, 201] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/captions/en", expected: [200, 200, 200, 200] + api),
        Route(method: .delete, path: "/api/v1/videos/{shared}/captions/en", expected: [204, 204, 403, 204] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/hls/master.m3u8", expected: [200, 200, 404, 200] + api),
        Route(method: .head, path: "/api/v1/videos/{private}/hls/master.m3u8", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/hls/360p.m3u8", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/hls/master.m3u8", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/hls/720p.m3u8", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/renditions/360p", expected: [206, 206, 404, 206] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/previews.vtt", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{private}/previews/1", expected: [200, 200, 404, 200] + api),
        Route(method: .head, path: "/api/v1/videos/{private}/previews/1", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/previews.vtt", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/videos/{shared}/previews/1", expected: [200, 200, 200, 200] + api),
        // Pins are for admins, on peers' videos: a local one is a conflict even for them.
        Route(method: .post, path: "/api/v1/videos/{shared}/pin", expected: [403, 403, 403, 409] + api),
        Route(method: .delete, path: "/api/v1/videos/{shared}/pin", expected: [403, 403, 403, 409] + api),
        Route(method: .post, path: "/api/v1/videos/{private}/pin", expected: [403, 403, 404, 409] + api),
        // A ready video has nothing to retry: its owner and admins are told so, others not even that.
        Route(method: .post, path: "/api/v1/videos/{private}/retry", expected: [409, 409, 404, 409] + api),
        Route(method: .post, path: "/api/v1/videos/{shared}/retry", expected: [409, 409, 403, 409] + api),
        Route(method: .post, path: "/api/v1/videos", expected: [201, 201, 201, 201] + api),
        Route(method: .post, path: "/api/v1/uploads", expected: [201, 201, 201, 201] + api),
        Route(method: .head, path: "/api/v1/uploads/{upload}", expected: [200, 200, 404, 200] + api),
        Route(method: .patch, path: "/api/v1/uploads/{upload}", expected: [204, 204, 404, 204] + api),
        Route(method: .delete, path: "/api/v1/uploads/{upload}", expected: [204, 204, 404, 204] + api),
        // tus's override for clients that cannot send PATCH.
        Route(method: .post, path: "/api/v1/uploads/{upload}", expected: [204, 204, 404, 204] + api),
        Route(method: .options, path: "/api/v1/uploads", expected: [204, 204, 204, 204] + api),
        Route(method: .options, path: "/api/v1/uploads/{upload}", expected: [204, 204, 204, 204] + api),
        Route(method: .get, path: "/api/v1/me", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/tokens", expected: [200, 200, 200, 200] + api),
        Route(method: .post, path: "/api/v1/tokens", expected: [201, 201, 201, 201] + api),
        Route(method: .delete, path: "/api/v1/tokens/{ownerToken}", expected: [204, 204, 404, 204] + api),
        Route(method: .post, path: "/api/v1/me/password", expected: [204, 204, 403, 403] + api),
        Route(method: .delete, path: "/api/v1/session", expected: [204, 204, 204, 204] + api),
        Route(method: .get, path: "/api/v1/users", expected: [403, 403, 403, 200] + api),
        Route(method: .get, path: "/api/v1/admin/storage", expected: [403, 403, 403, 200] + api),
        Route(method: .patch, path: "/api/v1/users/{other}", expected: [403, 403, 403, 200] + api),
        Route(method: .delete, path: "/api/v1/users/{other}", expected: [403, 403, 403, 204] + api),
        Route(method: .post, path: "/api/v1/invitations", expected: [403, 403, 403, 201] + api),
        Route(method: .get, path: "/api/v1/settings/signup", expected: [403, 403, 403, 200] + api),
        Route(method: .put, path: "/api/v1/settings/signup", expected: [403, 403, 403, 200] + api),
        Route(method: .get, path: "/api/v1/notes", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/notes?q=private", expected: [200, 200, 200, 200] + api),
        Route(method: .post, path: "/api/v1/notes", expected: [201, 201, 201, 201] + api),
        Route(method: .post, path: "/api/v1/notes/preview", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/api/v1/notes/{privateNote}", expected: [200, 200, 404, 200] + api),
        Route(method: .patch, path: "/api/v1/notes/{privateNote}", expected: [200, 200, 404, 200] + api),
        Route(method: .delete, path: "/api/v1/notes/{privateNote}", expected: [204, 204, 404, 204] + api),
        Route(method: .post, path: "/api/v1/notes/{privateNote}/share", expected: [200, 200, 404, 200] + api),
        Route(method: .post, path: "/api/v1/notes/{privateNote}/restore", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/notes/{privateNote}/versions", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/notes/{privateNote}/versions/1", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/notes/{privateNote}/diff?from=1&to=1", expected: [200, 200, 404, 200] + api),
        Route(method: .get, path: "/api/v1/notes/{sharedNote}", expected: [200, 200, 200, 200] + api),
        Route(method: .patch, path: "/api/v1/notes/{sharedNote}", expected: [200, 200, 200, 200] + api),
        Route(method: .post, path: "/api/v1/notes/{sharedNote}/versions/1/restore", expected: [200, 200, 200, 200] + api),
        Route(method: .post, path: "/api/v1/notes/{sharedNote}/unshare", expected: [200, 200, 403, 200] + api),
        Route(method: .delete, path: "/api/v1/notes/{sharedNote}", expected: [204, 204, 403, 204] + api),
        Route(method: .get, path: "/api/v1/analytics/notes", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/upload", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/api/v1/peers", expected: [200, 200, 200, 200] + api),
        // Adding peers is for admins; this hub's peer network is off, which the admin is told.
        Route(method: .post, path: "/api/v1/peers", expected: [403, 403, 403, 409] + api),
        Route(method: .get, path: "/api/v1/sync/log", expected: [200, 200, 200, 200] + api),
        Route(method: .get, path: "/peers", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/videos/{private}", expected: [200, 200, 404, 200] + page),
        Route(method: .get, path: "/videos/{shared}", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/settings", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/admin/users", expected: [403, 403, 403, 200] + page),
        Route(method: .get, path: "/admin/operations", expected: [403, 403, 403, 200] + page),
        Route(method: .get, path: "/admin/storage", expected: [403, 403, 403, 200] + page),
        Route(method: .get, path: "/notes", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/notes/new", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/notes/analytics", expected: [200, 200, 200, 200] + page),
        Route(method: .get, path: "/notes/{privateNote}", expected: [200, 200, 404, 200] + page),
        Route(method: .get, path: "/notes/{privateNote}/edit", expected: [200, 200, 404, 200] + page),
        Route(method: .get, path: "/notes/{privateNote}/history", expected: [200, 200, 404, 200] + page),
        Route(method: .get, path: "/notes/{sharedNote}/edit", expected: [200, 200, 200, 200] + page),
        // Open to everyone; only a bad bearer token is refused, as everywhere.
        Route(method: .get, path: "/login", expected: [302, 302, 302, 302, 200, 401, 200, 200, 200]),
        Route(method: .get, path: "/signup", expected: [200, 200, 200, 200, 200, 401, 200, 200, 200]),
        Route(method: .get, path: "/healthz", expected: [200, 200, 200, 200, 200, 401, 200, 200, 200]),
        Route(method: .get, path: "/readyz", expected: [200, 200, 200, 200, 200, 401, 200, 200, 200]),
        // Signing in and up are open; sign-up is closed on this hub.
        Route(method: .post, path: "/api/v1/session", expected: [200, 200, 200, 200, 200, 401, 200, 200, 200]),
        Route(method: .post, path: "/api/v1/signup", expected: [403, 403, 403, 403, 403, 401, 403, 403, 403]),
        // Admins, and a scraper with METRICS_TOKEN (MetricsTests).
        Route(method: .get, path: "/metrics", expected: [403, 403, 403, 200] + api),
        Route(method: .get, path: "/static/hub.js", expected: [200, 200, 200, 200, 200, 401, 200, 200, 200]),
        // The API contract and its reference page hold no data of the hub's: open to anyone.
        Route(method: .get, path: "/api/v1/openapi.json", expected: [200, 200, 200, 200, 200, 401, 200, 200, 200]),
        Route(method: .get, path: "/api", expected: [200, 200, 200, 200, 200, 401, 200, 200, 200]),
    ]

    @Test(arguments: routes)
    func everyCallerGetsTheExpectedStatus(route: Route) async throws {
        #expect(route.expected.count == Caller.allCases.count)
        for (caller, expected) in zip(Caller.allCases, route.expected) {
            let fixture = try await Fixture.make()
            let status = try await fixture.send(route, as: caller)
            #expect(status == expected, "\(route.method) \(route.path) as \(caller.rawValue)")
        }
    }

    /// Every route the router has is in the matrix, so a new route cannot ship without its
    /// access decided for every caller.
    @Test func theMatrixCoversEveryRoute() throws {
        let router = buildRouter(try TestHub().services)
        func segments(_ path: String) -> [Substring] {
            path.split(separator: "?")[0].split(separator: "/")
        }
        /// `{name}` (in the matrix or the router) and `*` stand for any one segment.
        func matches(_ pattern: [Substring], _ path: [Substring]) -> Bool {
            pattern.count == path.count && zip(pattern, path).allSatisfy { route, tested in
                route.hasPrefix(":") || route.hasPrefix("{") || route == "*" || route == "**" || tested.hasPrefix("{") || route == tested
            }
        }
        let missing = router.routes.filter { route in
            !Self.routes.contains { $0.method == route.method && matches(segments(route.path.description), segments($0.path)) }
        }
        #expect(missing.isEmpty, "routes without a row in the access matrix: \(missing.map(\.description))")
    }

    @Test func listsAndSearchesShowOnlyWhatTheCallerMaySee() async throws {
        let fixture = try await Fixture.make()
        try await fixture.hub.application.test(.router) { client in
            func titles(_ token: String, _ query: String = "") async throws -> Set<String> {
                let response = try await client.execute(uri: "/api/v1/videos\(query)", method: .get, headers: [.authorization: "Bearer \(token)"])
                return Set(try response.decode(VideoListResource.self).items.map(\.title))
            }
            #expect(try await titles(fixture.ownerToken) == ["private clip", "shared clip"])
            #expect(try await titles(fixture.otherToken) == ["shared clip"])
            #expect(try await titles(fixture.otherToken, "?q=private") == [])
            #expect(try await titles(fixture.adminToken, "?q=private") == ["private clip"])
            let page = try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer \(fixture.otherToken)"])
            #expect(!String(buffer: page.body).contains("private clip"))
            #expect(String(buffer: page.body).contains("shared clip"))

            func noteTitles(_ token: String, _ query: String = "") async throws -> Set<String> {
                let response = try await client.execute(uri: "/api/v1/notes\(query)", method: .get, headers: [.authorization: "Bearer \(token)"])
                return Set(try response.decode(NoteListResource.self).items.map(\.title))
            }
            #expect(try await noteTitles(fixture.ownerToken) == ["private note", "shared note"])
            #expect(try await noteTitles(fixture.otherToken) == ["shared note"])
            #expect(try await noteTitles(fixture.otherToken, "?q=private") == [])
            #expect(try await noteTitles(fixture.otherToken, "?deleted=true") == [])
            #expect(try await noteTitles(fixture.adminToken, "?q=private") == ["private note"])
            let notesPage = try await client.execute(uri: "/notes", method: .get, headers: [.authorization: "Bearer \(fixture.otherToken)"])
            #expect(!String(buffer: notesPage.body).contains("private note"))
        }
    }
}

/// A hub with three accounts and the owner's items, and every kind of credential for the owner.
struct Fixture {
    let hub: TestHub
    let ownerToken: String
    let otherToken: String
    let adminToken: String
    let revokedToken: String
    let privateVideo: String
    let sharedVideo: String
    let upload: String
    let privateNote: String
    let sharedNote: String
    let otherUserID: String
    /// An API token of the owner's besides the one the owner calls with.
    let ownerTokenID: String
    let session: String
    let csrfToken: String
    let expiredSession: String
    let tamperedSession: String
    let foreignSession: String

    static func make() async throws -> Fixture {
        let hub = try TestHub(media: ThumbnailingMedia())
        let accounts = hub.services.accounts
        let admin = try await hub.account("admin", role: .admin)
        let owner = try await hub.account("owner")
        let other = try await hub.account("other")
        let revoked = try await accounts.createToken(for: owner.user, label: "revoked").secret
        let spare = try await accounts.createToken(for: owner.user, label: "spare").0
        #expect(try await accounts.revokeToken(secret: revoked))
        let (_, session) = try await accounts.signIn(name: "owner", password: "password-owner", address: "test")
        let secret = accounts.secret
        let now = hub.clock.now()
        // The owner's valid session with the admin's id put in: the signature no longer matches.
        let valid = session.encoded(with: secret).split(separator: ".")
        let forged = SessionCookie(userID: admin.user.id, generation: 0, expiresAt: session.expiresAt, nonce: session.nonce)
        let tampered = "v1.\(forged.encoded(with: secret).split(separator: ".")[1]).\(valid[2])"

        let (privateVideo, sharedVideo, upload) = try await hub.application.test(.router) { client in
            let tus = TusRequests(client: client)
            let auth: HTTPFields = [.authorization: "Bearer \(owner.token)"]
            let privateVideo = try await tus.upload(fakeMP4(size: 5_000), metadata: "title \(Data("private clip".utf8).base64EncodedString())", headers: auth)
            let sharedVideo = try await tus.upload(
                fakeMP4(size: 5_000, seed: 2),
                metadata: "title \(Data("shared clip".utf8).base64EncodedString()),shared \(Data("true".utf8).base64EncodedString())", headers: auth)
            let (_, upload) = try await tus.create(length: 1_000, headers: auth)
            // Processed while the hub runs (its workers are a service of the application).
            for video in [privateVideo, sharedVideo] { try await hub.processed(#require(video.headers[.videoID])) }
            return (try #require(privateVideo.headers[.videoID]), try #require(sharedVideo.headers[.videoID]), try #require(upload))
        }
        for video in [privateVideo, sharedVideo] {
            _ = try await hub.services.videos.attachCaptions(
                video, language: "en", label: "English", file: "WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n", by: owner.user)
        }
        let notepad = hub.services.notepad
        let privateNote = try await notepad.create(NoteEdit(title: "private note", content: "mine"), by: owner.user)
        let sharedNote = try await notepad.create(NoteEdit(title: "shared note", content: "ours", shared: true), by: owner.user)
        return Fixture(
            hub: hub, ownerToken: owner.token, otherToken: other.token, adminToken: admin.token, revokedToken: revoked,
            privateVideo: privateVideo, sharedVideo: sharedVideo, upload: upload, privateNote: privateNote.id.rawValue,
            sharedNote: sharedNote.id.rawValue, otherUserID: other.user.id.rawValue, ownerTokenID: spare.id,
            session: session.encoded(with: secret), csrfToken: session.csrfToken(with: secret),
            expiredSession: SessionCookie(userID: owner.user.id, generation: 0, expiresAt: now.addingTimeInterval(-60)).encoded(with: secret),
            tamperedSession: tampered,
            foreignSession: session.encoded(with: HubSecret("the secret key of some other hub, not this one")))
    }

    func send(_ route: AccessMatrixTests.Route, as caller: AccessMatrixTests.Caller) async throws -> Int {
        var headers: HTTPFields = [:]
        switch caller {
        case .owner: headers[.authorization] = "Bearer \(ownerToken)"
        case .other: headers[.authorization] = "Bearer \(otherToken)"
        case .admin: headers[.authorization] = "Bearer \(adminToken)"
        case .revokedToken: headers[.authorization] = "Bearer \(revokedToken)"
        case .anonymous: break
        case .ownerSession: headers[.cookie] = "\(SessionCookie.name)=\(session)"
        case .expiredSession: headers[.cookie] = "\(SessionCookie.name)=\(expiredSession)"
        case .tamperedCookie: headers[.cookie] = "\(SessionCookie.name)=\(tamperedSession)"
        case .foreignCookie: headers[.cookie] = "\(SessionCookie.name)=\(foreignSession)"
        }
        if [.ownerSession, .expiredSession, .tamperedCookie, .foreignCookie].contains(caller) { headers[.csrfToken] = csrfToken }
        let path = route.path.replacingOccurrences(of: "{private}", with: privateVideo)
            .replacingOccurrences(of: "{shared}", with: sharedVideo)
            .replacingOccurrences(of: "{upload}", with: upload.replacingOccurrences(of: "/api/v1/uploads/", with: ""))
            .replacingOccurrences(of: "{other}", with: otherUserID)
            .replacingOccurrences(of: "{ownerToken}", with: ownerTokenID)
            .replacingOccurrences(of: "{privateNote}", with: privateNote)
            .replacingOccurrences(of: "{sharedNote}", with: sharedNote)
        var body: ByteBuffer?
        switch (route.method, route.path) {
        case (.patch, "/api/v1/videos/{private}"), (.patch, "/api/v1/videos/{shared}"):
            body = ByteBuffer(string: #"{"title": "renamed"}"#)
        case (.patch, "/api/v1/notes/{privateNote}"), (.patch, "/api/v1/notes/{sharedNote}"):
            body = ByteBuffer(string: #"{"content": "changed", "baseVersion": 1}"#)
        case (.post, "/api/v1/notes"):
            body = ByteBuffer(string: #"{"title": "new note", "content": "text"}"#)
        case (.post, "/api/v1/peers"):
            body = ByteBuffer(string: #"{"name": "office", "address": "127.0.0.1:6881"}"#)
        case (.post, "/api/v1/notes/preview"):
            body = ByteBuffer(string: ##"{"content": "# text"}"##)
        case (.patch, "/api/v1/users/{other}"):
            body = ByteBuffer(string: #"{"disabled": true}"#)
        case (.post, "/api/v1/session"):
            body = ByteBuffer(string: #"{"name": "owner", "password": "password-owner"}"#)
        case (.post, "/api/v1/signup"):
            body = ByteBuffer(string: #"{"name": "newcomer", "password": "password-newcomer"}"#)
        case (.post, "/api/v1/tokens"):
            body = ByteBuffer(string: #"{"label": "script"}"#)
        case (.post, "/api/v1/invitations"):
            body = ByteBuffer(string: #"{"role": "member"}"#)
        case (.put, _) where route.path.contains("/captions/"):
            headers[.contentType] = "text/vtt"
            body = ByteBuffer(string: "1\n00:00:00,000 --> 00:00:01,000\nBonjour\n")
        case (.put, "/api/v1/settings/signup"):
            body = ByteBuffer(string: #"{"open": true}"#)
        case (.post, "/api/v1/me/password"):
            body = ByteBuffer(string: #"{"currentPassword": "password-owner", "newPassword": "a new password"}"#)
        case (.post, "/api/v1/videos"):
            headers[.contentType] = "multipart/form-data; boundary=XyZ"
            body = VideoAPITests.multipart([("file", "clip.mp4", fakeMP4(size: 2_000))])
        case (.post, "/api/v1/uploads"):
            headers[.tusResumable] = "1.0.0"
            headers[.uploadLength] = "100"
        case (_, "/api/v1/uploads/{upload}"):
            headers[.tusResumable] = "1.0.0"
            if route.method == .post { headers[.httpMethodOverride] = "PATCH" }
            if route.method == .patch || route.method == .post {
                headers[.uploadOffset] = "0"
                headers[.contentType] = "application/offset+octet-stream"
                body = ByteBuffer(bytes: fakeMP4(size: 100))
            }
        default:
            break
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        if path.hasSuffix("/stream") || path.contains("/renditions/") { headers[.range] = "bytes=0-99" }
        let request = (route.method, path, headers, body)
        return try await hub.application.test(.router) { client in
            Int(try await client.execute(uri: request.1, method: request.0, headers: request.2, body: request.3).status.code)
        }
    }
}

/// Makes a tiny "thumbnail" for every video, and calls every video 720p HEVC so it gets a
/// "playable" rendition (a copy) and a two-rung ladder (copies with a playlist of one segment),
/// so the thumbnail, rendition and playlist routes have something to guard.
struct ThumbnailingMedia: MediaProcessor {
    func probe(_ path: String) async -> MediaInfo { MediaInfo(durationSeconds: 1, width: 1280, height: 720, videoCodec: "hevc") }
    func encodeLadder(_ input: String, rungs: [LadderRung], withAudio: Bool, into directory: String, timeLimit: Duration) async -> Bool {
        for rung in rungs {
            guard (try? FileManager.default.copyItem(atPath: input, toPath: "\(directory)/\(rung.name).mp4")) != nil,
                let size = (try? FileManager.default.attributesOfItem(atPath: input)[.size]) as? Int, size > 10
            else { return false }
            let playlist = """
                #EXTM3U
                #EXT-X-MAP:URI="\(rung.name).mp4",BYTERANGE="10@0"
                #EXTINF:1.0,
                #EXT-X-BYTERANGE:\(size - 10)@10
                \(rung.name).mp4
                #EXT-X-ENDLIST
                """
            let master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=\(rung.shortSide * 16 / 9)x\(rung.shortSide),CODECS=\"avc1.64001e\"\n\(rung.name).m3u8\n"
            guard FileManager.default.createFile(atPath: "\(directory)/\(rung.name).m3u8", contents: Data(playlist.utf8)),
                FileManager.default.createFile(atPath: "\(directory)/\(rung.name)-master.m3u8", contents: Data(master.utf8))
            else { return false }
        }
        return true
    }
    func thumbnail(of path: String, atSeconds seconds: Double, to output: String) async -> Bool {
        FileManager.default.createFile(atPath: output, contents: Data([0xFF, 0xD8, 0xFF, 0xD9]))
    }
    func remuxFaststart(_ input: String, to output: String) async -> Bool { false }
    func makePlayable(
        _ input: String, to output: String, video: BrowserPlayability.Step, audio: BrowserPlayability.Step?, timeLimit: Duration
    ) async -> Bool {
        (try? FileManager.default.copyItem(atPath: input, toPath: output)) != nil
    }
    func previewSheets(
        of input: String, into directory: String, interval: Double, width: Int, height: Int, columns: Int, rows: Int, timeLimit: Duration
    ) async -> [String]? {
        let sheet = "\(directory)/sheet-001.jpg"
        return FileManager.default.createFile(atPath: sheet, contents: Data([0xFF, 0xD8, 0xFF, 0xD9])) ? [sheet] : nil
    }
}
