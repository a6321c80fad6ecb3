import Foundation
import HTTPTypes
import HubCore
import HubStorage
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import Testing

@testable import HubWeb

/// The assembly is a value tests can vary: a store that fails, put behind the real router,
/// is the store every route uses, and the application's start-up checks run in tests as they
/// do in `serve`.
@Suite struct AssemblyTests {
    @Test func aStoreThatFailsAfterStartUpGivesJSON503sNotCrashes() async throws {
        let failing = SwitchableStore()
        let hub = try TestHub { dependencies in
            failing.wrap(dependencies.store)
            dependencies.store = failing
        }
        try await hub.test { client in
            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 50_000))
            let id = try #require(upload.headers[.videoID])
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)

            failing.fail()
            let stream = try await client.execute(uri: "/api/v1/videos/\(id)/stream", method: .get)
            #expect(stream.status == .serviceUnavailable)
            #expect(stream.errorCode == "unavailable")
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable)
            // The metadata is still there: only the bytes are out of reach.
            #expect(try await client.execute(uri: "/api/v1/videos/\(id)", method: .get).status == .ok)

            failing.recover()
            #expect(try await client.execute(uri: "/api/v1/videos/\(id)/stream", method: .get).status == .ok)
        }
    }

    /// Background services start only after the checks pass: a media worker must not claim a
    /// job against a store the checks are about to refuse. The checks run once, whoever asks.
    @Test func backgroundServicesWaitForTheStartUpChecks() async throws {
        let runs = NIOLockedValueBox(0)
        let started = NIOLockedValueBox(false)
        let refusing = StartUpCheck {
            runs.withLockedValue { $0 += 1 }
            throw ConfigurationError(setting: "STORAGE_BACKEND", problem: "points elsewhere")
        }
        let service = AfterStartUp(service: RecordingService(started: started), startUp: refusing)
        await #expect(throws: ConfigurationError.self) { try await refusing.passed() }
        // Refused: the wrapped service never starts, and the wrapper waits to be stopped.
        let waiting = Task { try await service.run() }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        try await waiting.value
        #expect(started.withLockedValue { $0 } == false)
        #expect(runs.withLockedValue { $0 } == 1)

        let passing = StartUpCheck {}
        try await AfterStartUp(service: RecordingService(started: started), startUp: passing).run()
        #expect(started.withLockedValue { $0 })
    }

    @Test func startUpChecksRunWhereverTheApplicationIsBuilt() async throws {
        let failing = SwitchableStore()
        failing.fail()
        let hub = try TestHub { dependencies in
            failing.wrap(dependencies.store)
            dependencies.store = failing
        }
        await #expect { try await hub.application.test(.router) { _ in } } throws: { error in
            (error as? ConfigurationError)?.setting == "UPLOAD_DIR"
        }
    }

    @Test func theRecordedStorageLocationIsCheckedAtStartUp() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 10_000))
            #expect(upload.headers[.videoID] != nil)
        }
        // The same data, now configured for S3: the videos are still on local disk.
        try await StorageLocation(recorded: "s3://elsewhere").record(in: hub.services.dependencies.repositories.settings)
        await #expect { try await hub.application.test(.router) { _ in } } throws: { error in
            (error as? ConfigurationError)?.setting == "STORAGE_BACKEND"
        }
    }
}

/// A store that passes everything to a real one until told to fail, then answers as an
/// unreachable backend does.
final class SwitchableStore: ObjectStore, Sendable {
    private let state = NIOLockedValueBox<(base: (any ObjectStore)?, failing: Bool)>((nil, false))

    func wrap(_ base: any ObjectStore) { state.withLockedValue { $0.base = base } }
    func fail() { state.withLockedValue { $0.failing = true } }
    func recover() { state.withLockedValue { $0.failing = false } }

    private func base() throws -> any ObjectStore {
        let (base, failing) = state.withLockedValue { ($0.base, $0.failing) }
        guard !failing, let base else { throw ObjectStoreError.unavailable("the test switched the store off") }
        return base
    }

    func put(_ key: ObjectKey, movingFileAt path: String, contentType: String?) async throws -> ObjectInfo {
        try await base().put(key, movingFileAt: path, contentType: contentType)
    }

    func put<Bytes: AsyncSequence & Sendable>(
        _ key: ObjectKey, from bytes: Bytes, size: Int64?, contentType: String?
    ) async throws -> ObjectInfo where Bytes.Element == ByteBuffer {
        try await base().put(key, from: bytes, size: size, contentType: contentType)
    }

    func head(_ key: ObjectKey) async throws -> ObjectInfo { try await base().head(key) }
    func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream { try await base().read(key, range: range) }
    func delete(_ key: ObjectKey) async throws { try await base().delete(key) }
    func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        try await base().list(prefix: prefix, continuation: continuation, limit: limit)
    }
    func copy(_ source: ObjectKey, to destination: ObjectKey) async throws -> ObjectInfo { try await base().copy(source, to: destination) }
    func presignedURL(for key: ObjectKey, expiresIn seconds: Int, contentType: String?) -> URL? { nil }
    func checkHealth() async throws { try await base().checkHealth() }
}

/// A service that notes that it ran, and returns.
private struct RecordingService: Service {
    let started: NIOLockedValueBox<Bool>
    func run() async throws { started.withLockedValue { $0 = true } }
}
