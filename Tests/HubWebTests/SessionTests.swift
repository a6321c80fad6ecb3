import Foundation
import HubAPI
import HTTPTypes
@testable import HubAccounts
import HubCore
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

/// Signing up, in and out: cookies, CSRF, throttling, invalidation.
@Suite struct SessionTests {
    static let json: HTTPFields = [.contentType: "application/json"]

    static func post(_ client: any TestClientProtocol, _ uri: String, _ body: String, headers: HTTPFields = json) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// The session cookie a response sets, as a `Cookie` request header value.
    static func cookie(_ response: TestResponse) throws -> String {
        let setCookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix(SessionCookie.name + "=") })
        return String(setCookie.split(separator: ";")[0])
    }

    static func signIn(_ client: any TestClientProtocol, _ name: String, _ password: String) async throws -> (cookie: String, csrf: String) {
        let response = try await post(client, "/api/v1/session", #"{"name": "\#(name)", "password": "\#(password)"}"#)
        #expect(response.status == .ok)
        let cookie = try cookie(response)
        let page = try await client.execute(uri: "/settings", method: .get, headers: [.cookie: cookie])
        let html = String(buffer: page.body)
        let marker = #"<meta name="csrf-token" content=""#
        let start = try #require(html.range(of: marker)).upperBound
        return (cookie, String(html[start...].prefix { $0 != "\"" }))
    }

    @Test func firstSignUpIsTheAdminThenSignUpIsClosedUntilOpened() async throws {
        let hub = try TestHub()
        try await hub.application.test(.router) { client in
            let first = try await Self.post(client, "/api/v1/signup", #"{"name": "Alice", "password": "correct horse"}"#)
            #expect(first.status == .created)
            #expect(try first.decode(UserResource.self).role == "admin")
            #expect(try first.decode(UserResource.self).name == "alice")
            let setCookie = try #require(first.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Lax"))
            #expect(setCookie.contains("Path=/"))
            #expect(!setCookie.contains("Secure"))

            let second = try await Self.post(client, "/api/v1/signup", #"{"name": "bob", "password": "correct horse"}"#)
            #expect(second.status == .forbidden)
            #expect(second.errorCode == "signup_closed")

            let admin = try await Self.signIn(client, "alice", "correct horse")
            let open = try await client.execute(
                uri: "/api/v1/settings/signup", method: .put,
                headers: [.cookie: admin.cookie, .csrfToken: admin.csrf, .contentType: "application/json"], body: ByteBuffer(string: #"{"open": true}"#))
            #expect(open.status == .ok)
            let bob = try await Self.post(client, "/api/v1/signup", #"{"name": "bob", "password": "correct horse"}"#)
            #expect(bob.status == .created)
            #expect(try bob.decode(UserResource.self).role == "member")
            let again = try await Self.post(client, "/api/v1/signup", #"{"name": "BOB", "password": "correct horse"}"#)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "name_taken")
        }
    }

    @Test func invitationsWorkOnceWithTheirRole() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let invitation = try await Self.post(client.admin, "/api/v1/invitations", #"{"role": "admin"}"#)
            #expect(invitation.status == .created)
            let code = try invitation.decode(InvitationResource.self).code
            let used = try await Self.post(client.anonymous, "/api/v1/signup", #"{"name": "carol", "password": "password123", "invitation": "\#(code)"}"#)
            #expect(used.status == .created)
            #expect(try used.decode(UserResource.self).role == "admin")
            let reused = try await Self.post(client.anonymous, "/api/v1/signup", #"{"name": "dave", "password": "password123", "invitation": "\#(code)"}"#)
            #expect(reused.errorCode == "invalid_invitation")
        }
    }

    @Test func badSignUpsAreClearErrors() async throws {
        let hub = try TestHub()
        try await hub.application.test(.router) { client in
            for (body, code) in [
                (#"{"name": "", "password": "password123"}"#, "invalid_name"),
                (#"{"name": "../etc", "password": "password123"}"#, "invalid_name"),
                (#"{"name": "<script>", "password": "password123"}"#, "invalid_name"),
                (#"{"name": "ok", "password": "short"}"#, "invalid_password"),
                (#"{"name": "ok", "password": "\#(String(repeating: "x", count: 257))"}"#, "invalid_password"),
                (#"{"name": "ok""#, "invalid_json"),
                (#"{"name": 5, "password": "password123"}"#, "invalid_json"),
            ] {
                let response = try await Self.post(client, "/api/v1/signup", body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorCode == code, "\(body)")
            }
            let huge = try await Self.post(client, "/api/v1/session", #"{"name": "x", "password": ""# + String(repeating: "x", count: 2 << 20) + #""}"#)
            #expect(huge.status == .contentTooLarge)
            #expect(try await hub.services.accounts.needsFirstAccount())
        }
    }

    /// Passwords are counted in characters, like every text limit of the API contract: one past
    /// bcrypt's 72 bytes (here 100 characters of 3 bytes each) is digested first, so all of it
    /// counts, and a password that differs only past byte 72 is wrong.
    @Test func longPasswordsCountEveryCharacter() async throws {
        let hub = try TestHub()
        try await hub.application.test(.router) { client in
            let long = String(repeating: "日本", count: 50)
            let created = try await Self.post(client, "/api/v1/signup", #"{"name": "kana", "password": "\#(long)"}"#)
            #expect(created.status == .created)
            let right = try await Self.post(client, "/api/v1/session", #"{"name": "kana", "password": "\#(long)"}"#)
            #expect(right.status == .ok)
            let almost = String(long.dropLast()) + "語"
            let wrong = try await Self.post(client, "/api/v1/session", #"{"name": "kana", "password": "\#(almost)"}"#)
            #expect(wrong.status == .unauthorized)
        }
    }

    @Test func wrongPasswordsAreThrottledPerAccountAndPerAddress() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            for _ in 0..<5 {
                let wrong = try await Self.post(client.anonymous, "/api/v1/session", #"{"name": "member", "password": "wrong password"}"#)
                #expect(wrong.status == .unauthorized)
                #expect(wrong.errorCode == "invalid_credentials")
            }
            // The right password is refused too while the account is locked.
            let locked = try await Self.post(client.anonymous, "/api/v1/session", #"{"name": "member", "password": "password-member"}"#)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.errorCode == "too_many_attempts")
            #expect(Int(try #require(locked.headers[.retryAfter])) ?? 0 > 0)
            hub.clock.advance(by: 15 * 60)
            let later = try await Self.post(client.anonymous, "/api/v1/session", #"{"name": "member", "password": "password-member"}"#)
            #expect(later.status == .ok)

            // Spraying many names from one address hits the per-address limit.
            var statuses: [HTTPResponse.Status] = []
            for n in 0..<21 {
                statuses.append(try await Self.post(client.anonymous, "/api/v1/session", #"{"name": "nobody\#(n)", "password": "guess"}"#).status)
            }
            #expect(statuses.last == .tooManyRequests)
            #expect(statuses.dropLast().allSatisfy { $0 == .unauthorized })
        }
    }

    @Test func signingOutEndsEverySessionOfTheAccount() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let laptop = try await Self.signIn(client.anonymous, "member", "password-member")
            let phone = try await Self.signIn(client.anonymous, "member", "password-member")
            #expect(try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: phone.cookie]).status == .ok)
            let out = try await client.anonymous.execute(uri: "/api/v1/session", method: .delete, headers: [.cookie: laptop.cookie, .csrfToken: laptop.csrf])
            #expect(out.status == .noContent)
            #expect(out.headers[.setCookie]?.contains("Max-Age=0") == true)
            for session in [laptop, phone] {
                let after = try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: session.cookie])
                #expect(after.status == .unauthorized)
                #expect(after.errorCode == "sign_in_required")
                // …and the stale cookie is cleared.
                #expect(after.headers[.setCookie]?.contains("Max-Age=0") == true)
                let page = try await client.anonymous.execute(uri: "/", method: .get, headers: [.cookie: session.cookie])
                #expect(page.status == .seeOther)
                #expect(page.headers[.location] == "/login?next=/")
            }
            // API tokens are not sessions: they keep working until revoked.
            #expect(try await client.execute(uri: "/api/v1/me", method: .get).status == .ok)
        }
    }

    @Test func changingThePasswordEndsOtherSessionsButKeepsThisOne() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let here = try await Self.signIn(client.anonymous, "member", "password-member")
            let elsewhere = try await Self.signIn(client.anonymous, "member", "password-member")
            let wrong = try await Self.post(
                client.anonymous, "/api/v1/me/password", #"{"currentPassword": "nope", "newPassword": "a new password"}"#,
                headers: [.cookie: here.cookie, .csrfToken: here.csrf])
            #expect(wrong.status == .forbidden)
            let changed = try await Self.post(
                client.anonymous, "/api/v1/me/password", #"{"currentPassword": "password-member", "newPassword": "a new password"}"#,
                headers: [.cookie: here.cookie, .csrfToken: here.csrf])
            #expect(changed.status == .noContent)
            let renewed = try Self.cookie(changed)
            #expect(try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: renewed]).status == .ok)
            #expect(try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: elsewhere.cookie]).status == .unauthorized)
            #expect(try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: here.cookie]).status == .unauthorized)
            let old = try await Self.post(client.anonymous, "/api/v1/session", #"{"name": "member", "password": "password-member"}"#)
            #expect(old.status == .unauthorized)
            _ = try await Self.signIn(client.anonymous, "member", "a new password")
        }
    }

    @Test func sessionsExpire() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let session = try await Self.signIn(client.anonymous, "member", "password-member")
            hub.clock.advance(by: TimeInterval(hub.services.configuration.sessionLifetimeSeconds - 60))
            #expect(try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: session.cookie]).status == .ok)
            hub.clock.advance(by: 61)
            #expect(try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: session.cookie]).status == .unauthorized)
        }
    }

    @Test func cookieRequestsThatChangeStateNeedTheCSRFTokenAndOurOrigin() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let session = try await Self.signIn(client.anonymous, "member", "password-member")
            let body = ByteBuffer(string: #"{"label": "x"}"#)
            func create(_ headers: HTTPFields) async throws -> TestResponse {
                var headers = headers
                headers[.contentType] = "application/json"
                headers[.cookie] = session.cookie
                return try await client.anonymous.execute(uri: "/api/v1/tokens", method: .post, headers: headers, body: body)
            }
            #expect(try await create([:]).errorCode == "csrf_token_mismatch")
            #expect(try await create([.csrfToken: "forged"]).errorCode == "csrf_token_mismatch")
            #expect(try await create([.csrfToken: session.csrf, .origin: "https://evil.example"]).errorCode == "cross_origin_request")
            #expect(try await create([.csrfToken: session.csrf, .origin: "null"]).errorCode == "cross_origin_request")
            #expect(try await create([.csrfToken: session.csrf]).status == .created)
            // Tokens are never sent by a browser on its own, so they need neither.
            let scripted = try await client.execute(
                uri: "/api/v1/tokens", method: .post, headers: [.contentType: "application/json", .origin: "https://evil.example"], body: body)
            #expect(scripted.status == .created)
            // A cross-site form cannot sign someone in either.
            let loginCSRF = try await Self.post(
                client.anonymous, "/api/v1/session", #"{"name": "member", "password": "password-member"}"#, headers: [.origin: "https://evil.example"])
            #expect(loginCSRF.errorCode == "cross_origin_request")
        }
    }

    @Test func disabledAndDeletedAccountsLoseAccessAndTheirVideosStayWithAdmins() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let session = try await Self.signIn(client.anonymous, "member", "password-member")
            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 2_000))
            let video = try #require(upload.headers[.videoID])
            let member = try #require(try await hub.services.accounts.user(named: "member"))
            let disable = try await client.admin.execute(
                uri: "/api/v1/users/\(member.id)", method: .patch, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"disabled": true}"#))
            #expect(disable.status == .ok)
            #expect(try await client.execute(uri: "/api/v1/me", method: .get).status == .unauthorized)
            #expect(try await client.anonymous.execute(uri: "/api/v1/me", method: .get, headers: [.cookie: session.cookie]).status == .unauthorized)
            #expect(try await Self.post(client.anonymous, "/api/v1/session", #"{"name": "member", "password": "password-member"}"#).status == .unauthorized)

            let ownDelete = try await client.admin.execute(uri: "/api/v1/users/\(try #require(try await hub.services.accounts.user(named: "admin")).id)", method: .delete)
            #expect(ownDelete.errorCode == "own_account")
            #expect(try await client.admin.execute(uri: "/api/v1/users/\(member.id)", method: .delete).status == .noContent)
            let orphan = try await client.admin.execute(uri: "/api/v1/videos/\(video)", method: .get)
            #expect(orphan.status == .ok)
            #expect(try orphan.decode(VideoResource.self).ownerId == nil)
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            for (uri, client) in [("/", client), ("/login", client.anonymous), ("/api/v1/videos/nope", client), ("/api/v1/me", client.anonymous)] as [(String, any TestClientProtocol)] {
                let response = try await client.execute(uri: uri, method: .get)
                let policy = try #require(response.headers[.contentSecurityPolicy], "\(uri)")
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }

    @Test func whatUsersWriteIsNeverMarkup() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let title = #"<script>alert(1)</script><img src=x onerror="alert(2)">"#
            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 2_000), metadata: "title \(Data(title.utf8).base64EncodedString()),shared dHJ1ZQ==")
            let video = try #require(upload.headers[.videoID])
            for page in ["/", "/videos/\(video)"] {
                let html = String(buffer: try await client.admin.execute(uri: page, method: .get).body)
                #expect(!html.contains("<script>alert"), "\(page)")
                #expect(!html.contains("<img src=x"), "\(page)")
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(page)")
                #expect(!html.contains("<script>\n") && html.components(separatedBy: "<script src=").count - 1 == html.components(separatedBy: "<script").count - 1, "\(page): only external scripts")
            }
        }
    }

    @Test func signInPageReturnsToWhereTheVisitorWasGoingButOnlyOnThisSite() {
        #expect(AccountPageController.safeNext("/videos/x?y=1") == "/videos/x?y=1")
        for hostile in ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)", nil] {
            #expect(AccountPageController.safeNext(hostile) == "/")
        }
    }

    @Test func cookiesFromAnInstanceWithTheSameKeyAreAccepted() async throws {
        let key = "a shared key for every instance of this hub"
        let session = SessionCookie(userID: UserID(), generation: 3, expiresAt: Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 60).rounded(.down)))
        let cookie = session.encoded(with: HubSecret(key))
        #expect(SessionCookie.decode(Substring(cookie), with: HubSecret(key), now: Date()) == session)
        #expect(SessionCookie.decode(Substring(cookie), with: HubSecret(key + "!"), now: Date()) == nil)
        #expect(SessionCookie.decode(Substring(cookie), with: HubSecret(key), now: Date().addingTimeInterval(61)) == nil)
        for garbage in ["", "v1", "v1..", "v2.\(cookie.dropFirst(3))", String(cookie.dropLast(2)), cookie + "x"] {
            #expect(SessionCookie.decode(Substring(garbage), with: HubSecret(key), now: Date()) == nil, "\(garbage)")
        }
    }

    @Test func theGeneratedSecretIsPrivateAndKept() async throws {
        let hub = try TestHub()
        let path = hub.directory + "/data/secret_key"
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let first = try String(contentsOfFile: path, encoding: .utf8)
        #expect(first.trimmingCharacters(in: .whitespacesAndNewlines).count == 64)
        _ = try HubSecret.load(configured: nil, dataDirectory: hub.directory + "/data")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == first)
    }
}

