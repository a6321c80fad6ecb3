import Foundation
import HTTPTypes
import HubMedia
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

@Suite struct StreamTests {
    let bytes = fakeMP4(size: 300_000)

    /// Runs `body` against a hub holding one video of `bytes`.
    func withVideo(_ body: @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        let hub = try TestHub()
        let bytes = self.bytes
        try await hub.test { client in
            let upload = try await TusRequests(client: client).upload(bytes, chunk: 100_000)
            try await body(client, "/api/v1/videos/\(try #require(upload.headers[.videoID]))/stream")
        }
    }

    @Test func wholeAndHead() async throws {
        try await withVideo { client, url in
            let whole = try await client.execute(uri: url, method: .get)
            #expect(whole.status == .ok)
            #expect(whole.headers[.contentLength] == "300000")
            #expect(whole.headers[.acceptRanges] == "bytes")
            #expect(whole.headers[.contentType] == "video/mp4")
            #expect(whole.headers[.eTag]?.count == 66)
            #expect(whole.headers[.lastModified] != nil)
            #expect(Array(whole.body.readableBytesView) == bytes)

            let head = try await client.execute(uri: url, method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == "300000")
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func singleSuffixAndOpenEndedRanges() async throws {
        try await withVideo { client, url in
            for (range, expected, contentRange) in [
                ("bytes=0-99", 0...99, "bytes 0-99/300000"),
                ("bytes=-100", 299_900...299_999, "bytes 299900-299999/300000"),
                ("bytes=299000-", 299_000...299_999, "bytes 299000-299999/300000"),
                ("bytes=150000-999999999", 150_000...299_999, "bytes 150000-299999/300000"),
            ] {
                let response = try await client.execute(uri: url, method: .get, headers: [.range: range])
                #expect(response.status == .partialContent, "\(range)")
                #expect(response.headers[.contentRange] == contentRange)
                #expect(response.headers[.contentLength] == String(expected.count))
                #expect(Array(response.body.readableBytesView) == Array(bytes[expected]))
            }
        }
    }

    @Test func unsatisfiableAndMalformedRangesAre416() async throws {
        try await withVideo { client, url in
            for range in ["bytes=300000-", "bytes=abc", "bytes=5-1", "bytes=-0"] {
                let response = try await client.execute(uri: url, method: .get, headers: [.range: range])
                #expect(response.status == .rangeNotSatisfiable, "\(range)")
                #expect(response.headers[.contentRange] == "bytes */300000")
                #expect(response.errorCode == "range_not_satisfiable")
            }
            let otherUnit = try await client.execute(uri: url, method: .get, headers: [.range: "items=0-1"])
            #expect(otherUnit.status == .ok)
        }
    }

    @Test func multipleRangesAreMultipartByteranges() async throws {
        try await withVideo { client, url in
            let response = try await client.execute(uri: url, method: .get, headers: [.range: "bytes=0-1,10-11"])
            #expect(response.status == .partialContent)
            let contentType = try #require(response.headers[.contentType])
            #expect(contentType.hasPrefix("multipart/byteranges; boundary="))
            let boundary = String(contentType.split(separator: "=").last!)
            let text = String(decoding: response.body.readableBytesView, as: UTF8.self)
            #expect(text.contains("--\(boundary)\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-1/300000\r\n\r\n"))
            #expect(text.contains("Content-Range: bytes 10-11/300000"))
            #expect(text.hasSuffix("\r\n--\(boundary)--\r\n"))
            #expect(response.headers[.contentLength] == String(response.body.readableBytes))
        }
    }

    @Test func conditionalRequests() async throws {
        try await withVideo { client, url in
            let first = try await client.execute(uri: url, method: .head)
            let etag = try #require(first.headers[.eTag])
            let lastModified = try #require(first.headers[.lastModified])

            #expect(try await client.execute(uri: url, method: .get, headers: [.ifNoneMatch: etag]).status == .notModified)
            #expect(try await client.execute(uri: url, method: .get, headers: [.ifModifiedSince: lastModified]).status == .notModified)
            #expect(try await client.execute(uri: url, method: .get, headers: [.ifMatch: "\"nope\""]).status == .preconditionFailed)

            let matching = try await client.execute(uri: url, method: .get, headers: [.range: "bytes=0-9", .ifRange: etag])
            #expect(matching.status == .partialContent)
            let stale = try await client.execute(uri: url, method: .get, headers: [.range: "bytes=0-9", .ifRange: "\"old\""])
            #expect(stale.status == .ok)
            #expect(stale.body.readableBytes == 300_000)
        }
    }

    @Test func unknownVideosAre404() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            for id in [UUID().uuidString.lowercased(), "not-an-id", "..%2F..%2Fetc"] {
                let response = try await client.execute(uri: "/api/v1/videos/\(id)/stream", method: .get)
                #expect(response.status == .notFound)
                #expect(response.errorCode == "not_found")
            }
            let thumbnail = try await client.execute(uri: "/api/v1/videos/\(UUID().uuidString.lowercased())/thumbnail", method: .get)
            #expect(thumbnail.status == .notFound)
        }
    }
}
