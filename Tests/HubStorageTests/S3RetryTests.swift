import Foundation
import HTTPTypes
import HubCore
import Hummingbird
import Logging
import NIOCore
import Testing

@testable import HubStorage

/// The retry policy of the S3 store against a real HTTP server that fails on purpose: 500 and
/// 503 (`SlowDown`) are retried with backoff and a complete body each time, other 4xx never.
@Suite struct S3RetryTests {
    @Test func delaysGrowAndAreJittered() {
        let store = S3ObjectStore(settings: .init(bucket: "b", region: "r", credentials: .init(accessKey: "a", secretKey: "s"), endpoint: nil))
        let third = (0..<200).map { _ in store.retryDelay(3) }
        #expect(third.allSatisfy { $0 <= .milliseconds(800) })
        #expect(Set(third).count > 50, "jittered, not a fixed delay")
    }

    @Test func aGetIsRetriedThroughSlowDown() async throws {
        try await FlakyS3.run(failures: 2, status: .serviceUnavailable) { store, log in
            let bytes = try await ObjectStoreConformanceTests.collect(store.read(ObjectKey("a/b"), range: nil))
            #expect(bytes == Array("hello".utf8))
            #expect(await log.requests.map(\.method) == ["GET", "GET", "GET"])
        }
    }

    @Test func aPutFromAFileIsResentWholeAfterA500() async throws {
        try await FlakyS3.run(failures: 1, status: .internalServerError) { store, log in
            let content = ObjectStoreConformanceTests.content(300_000)
            _ = try await store.put(ObjectKey("a/b"), movingFileAt: try ObjectStoreConformanceTests.staged(content), contentType: nil)
            let requests = await log.requests
            #expect(requests.count == 2)
            #expect(requests.last?.bodyBytes == 300_000, "the retry sent the whole body again")
        }
    }

    @Test func aPutFromAStreamIsResentWholeAfterA503() async throws {
        try await FlakyS3.run(failures: 1, status: .serviceUnavailable) { store, log in
            let chunks = ObjectStoreConformanceTests.Chunks(bytes: ObjectStoreConformanceTests.content(100_000), chunkSize: 4096)
            _ = try await store.put(ObjectKey("a/b"), from: chunks, size: 100_000, contentType: nil)
            #expect(await log.requests.map(\.bodyBytes) == [100_000, 100_000])
        }
    }

    @Test func otherClientErrorsAreNotRetried() async throws {
        try await FlakyS3.run(failures: 10, status: .forbidden) { store, log in
            await #expect { try await store.head(ObjectKey("a/b")) } throws: {
                if case .accessDenied = $0 as? ObjectStoreError { return true } else { return false }
            }
            #expect(await log.requests.count == 1)
        }
    }

    @Test func retriesStopAfterFourAttempts() async throws {
        try await FlakyS3.run(failures: 10, status: .serviceUnavailable) { store, log in
            await #expect { try await store.read(ObjectKey("a/b"), range: nil) } throws: {
                if case .unavailable(let message) = $0 as? ObjectStoreError { return message.contains("SlowDown") } else { return false }
            }
            #expect(await log.requests.count == 4)
        }
    }
}

/// A stand-in for S3 on a loopback port: the first `failures` requests get `status` with an S3
/// error document, the rest succeed. Records every request.
enum FlakyS3 {
    actor Log {
        struct Entry {
            var method: String
            var bodyBytes: Int
        }
        var requests: [Entry] = []
        func record(_ entry: Entry) -> Int {
            requests.append(entry)
            return requests.count
        }
    }

    static func run(
        failures: Int, status: HTTPResponse.Status, _ body: @Sendable (S3ObjectStore, Log) async throws -> Void
    ) async throws {
        let log = Log()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let received = try await request.body.collect(upTo: 64 << 20)
            let attempt = await log.record(.init(method: request.method.rawValue, bodyBytes: received.readableBytes))
            if attempt <= failures {
                let code = status == .forbidden ? "AccessDenied" : status == .serviceUnavailable ? "SlowDown" : "InternalError"
                return Response(
                    status: status, headers: [.contentType: "application/xml"],
                    body: .init(byteBuffer: ByteBuffer(string: "<Error><Code>\(code)</Code><Message>injected</Message></Error>")))
            }
            let payload = ByteBuffer(string: "hello")
            var headers: HTTPFields = [.eTag: "\"e\"", .contentLength: "5"]
            if request.method == .put { headers[.contentLength] = "0" }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: request.method == .get ? payload : ByteBuffer()))
        }
        let port = PortPromise()
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { await port.fulfil($0.localAddress?.port ?? 0) },
            logger: Logger(label: "flaky-s3", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            let store = S3ObjectStore(
                settings: .init(
                    bucket: "b", region: "us-east-1", credentials: .init(accessKey: "a", secretKey: "s"),
                    endpoint: URL(string: "http://127.0.0.1:\(await port.value)")!),
                baseRetryDelayMilliseconds: 1)
            try await body(store, log)
            group.cancelAll()
        }
    }

    actor PortPromise {
        private var port: Int?
        private var waiting: [CheckedContinuation<Int, Never>] = []
        func fulfil(_ port: Int) {
            self.port = port
            for continuation in waiting { continuation.resume(returning: port) }
            waiting = []
        }
        var value: Int {
            get async {
                if let port { return port }
                return await withCheckedContinuation { waiting.append($0) }
            }
        }
    }
}
