import AsyncHTTPClient
import Configuration
import Foundation
import HubAPI
import HTTPTypes
import HubAccounts
import HubCore
import HubMedia
import HubWeb
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// A hub on a fresh temporary directory, assembled as `streamhub serve` assembles it (the live
/// dependencies, then `HubServices` and `buildApplication`), with a clock the test moves by hand.
struct TestHub {
    let directory: String
    let services: HubServices
    let clock: ManualClock

    init(
        maxUploadBytes: Int64 = 1 << 30, media: any MediaProcessor = NoMediaProcessor(), secretKey: String? = nil,
        noteMaxBytes: Int = 1 << 20, environment extra: [String: String] = [:],
        adjusting adjust: (inout HubDependencies) -> Void = { _ in }
    ) throws {
        directory = NSTemporaryDirectory() + "hub-" + UUID().uuidString
        clock = ManualClock()
        var variables = [
            "HUB_DATA_DIR": directory + "/data", "UPLOAD_DIR": directory + "/uploads",
            "MAX_UPLOAD_BYTES": String(maxUploadBytes), "HUB_PORT": "0",
            "NOTEPAD_STORAGE_PATH": directory + "/community_notes", "NOTE_MAX_BYTES": String(noteMaxBytes),
            // The cheapest cost bcrypt allows: the tests check behaviour, not hashing time.
            "BCRYPT_COST": "4",
        ]
        variables["HUB_SECRET_KEY"] = secretKey
        variables.merge(extra) { _, new in new }
        let configuration = try HubConfiguration(reader: ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables)))
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        var dependencies = try HubDependencies.live(configuration, http: .shared, logger: logger)
        dependencies.media = media
        dependencies.clock = clock
        adjust(&dependencies)
        services = try HubServices(dependencies)
    }

    var application: some ApplicationProtocol { buildApplication(services) }

    /// Runs `body` against the router with a client that acts as a signed-in member through an
    /// API token (the first account, made here, is the admin; this one is not).
    func test(_ body: @Sendable (AuthorizedClient) async throws -> Void) async throws {
        let admin = try await account("admin", role: .admin)
        let member = try await account("member", role: .member)
        try await application.test(.router) { client in
            try await body(AuthorizedClient(base: client, token: member.token, adminToken: admin.token))
        }
    }

    /// The account named `name` with a fresh API token, made if it does not exist yet.
    func account(_ name: String, role: Role = .member) async throws -> (user: User, token: String) {
        let accounts = services.accounts
        var user = try await accounts.user(named: name)
        if user == nil { user = try await accounts.createUser(name: name, password: "password-\(name)", role: role) }
        guard let user else { throw AccessError.notFound("user \(name)") }
        return (user, try await accounts.createToken(for: user, label: "test").secret)
    }

    /// Video `id` once its processing has ended, and the jobs that follow it (previews, the
    /// ladder) with it: the hub's workers run beside the router in tests too, and uploads answer
    /// as soon as their bytes are stored.
    @discardableResult
    func processed(_ id: String) async throws -> Video {
        let id = try #require(VideoID(id))
        for _ in 0..<500 {
            let video = try #require(try await services.videos.repository.find(id))
            if video.processing.status != .processing, try await services.videos.jobs.depth() == 0 { return video }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("video \(id) still processing after 10 s")
        return try #require(try await services.videos.repository.find(id))
    }

    /// Files under the staging directory: must be empty whenever no upload is in progress.
    var stagedFiles: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory + "/uploads/.incoming")) ?? []
    }
}

/// A test client that sends `Authorization: Bearer` with every request that has none.
struct AuthorizedClient: TestClientProtocol {
    let base: any TestClientProtocol
    let token: String
    let adminToken: String

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        var headers = headers
        if headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        return try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    var port: Int? { base.port }

    /// The same router, acting as the admin.
    var admin: AuthorizedClient { AuthorizedClient(base: base, token: adminToken, adminToken: adminToken) }
    /// The same router, without credentials.
    var anonymous: any TestClientProtocol { base }
}

/// Starts at the real time, because file modification times (which the staging sweep compares
/// against the clock) are real.
final class ManualClock: WallClock {
    private let current = NIOLockedValueBox(Date())
    func now() -> Date { current.withLockedValue { $0 } }
    func advance(by seconds: TimeInterval) { current.withLockedValue { $0.addTimeInterval(seconds) } }
}

/// Bytes that sniff as MP4 (an `ftyp` box) followed by deterministic filler.
func fakeMP4(size: Int, seed: UInt8 = 1) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 0, 0x18] + Array("ftypisom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8)
    var state = UInt32(seed) &* 2_654_435_761
    while bytes.count < size {
        state = state &* 1_103_515_245 &+ 12_345
        bytes.append(UInt8(truncatingIfNeeded: state >> 16))
    }
    return Array(bytes.prefix(size))
}

extension HTTPField.Name {
    static let tusResumable = Self("Tus-Resumable")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadChecksum = Self("Upload-Checksum")!
    static let uploadExpires = Self("Upload-Expires")!
    static let videoID = Self("Stream-Hub-Video-Id")!
}

extension TestResponse {
    /// The JSON error body's code; fails the decoding when the body is not the hub's error shape.
    var errorCode: String? { try? decode(APIErrorBody.self).error.code }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try WireFormat.decoder().decode(type, from: Data(body.readableBytesView)) }
}

/// tus requests with the protocol header already set.
struct TusRequests {
    let client: any TestClientProtocol

    func create(length: Int64, metadata: String? = nil, headers extra: HTTPFields = [:]) async throws -> (TestResponse, String?) {
        var headers: HTTPFields = [.tusResumable: "1.0.0", .uploadLength: String(length)]
        headers.append(contentsOf: extra)
        if let metadata { headers[.uploadMetadata] = metadata }
        let response = try await client.execute(uri: "/api/v1/uploads", method: .post, headers: headers, body: nil)
        return (response, response.headers[.location])
    }

    func patch(_ location: String, offset: Int64, bytes: some Collection<UInt8>, checksum: String? = nil, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.tusResumable: "1.0.0", .uploadOffset: String(offset), .contentType: "application/offset+octet-stream"]
        headers.append(contentsOf: extra)
        if let checksum { headers[.uploadChecksum] = checksum }
        return try await client.execute(uri: location, method: .patch, headers: headers, body: ByteBuffer(bytes: Array(bytes)))
    }

    func head(_ location: String) async throws -> TestResponse {
        try await client.execute(uri: location, method: .head, headers: [.tusResumable: "1.0.0"], body: nil)
    }

    /// Creates and completes an upload in `chunk`-sized PATCHes; returns the last response.
    func upload(_ bytes: [UInt8], chunk: Int = 1 << 20, metadata: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        let (_, location) = try await create(length: Int64(bytes.count), metadata: metadata, headers: headers)
        var offset = 0
        var last: TestResponse?
        repeat {
            let end = min(offset + chunk, bytes.count)
            last = try await patch(location!, offset: Int64(offset), bytes: bytes[offset..<end], headers: headers)
            offset = end
        } while offset < bytes.count
        return last!
    }
}
