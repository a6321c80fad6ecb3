import Crypto
import Foundation
import HubAPI
import HTTPTypes
import HubCore
import HubDatabase
import HubMedia
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

@Suite struct TusUploadTests {
    @Test func optionsAdvertisesTheProtocol() async throws {
        let hub = try TestHub(maxUploadBytes: 5000)
        try await hub.test { client in
            let response = try await client.execute(uri: "/api/v1/uploads", method: .options)
            #expect(response.status == .noContent)
            #expect(response.headers[.init("Tus-Version")!] == "1.0.0")
            #expect(response.headers[.init("Tus-Extension")!] == "creation,creation-with-upload,termination,checksum,expiration")
            #expect(response.headers[.init("Tus-Max-Size")!] == "5000")
            #expect(response.headers[.init("Tus-Checksum-Algorithm")!] == "sha1,sha256")
        }
    }

    @Test func chunkedUploadBecomesAVideo() async throws {
        let hub = try TestHub()
        let bytes = fakeMP4(size: 2_500_000)
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let (created, location) = try await tus.create(length: Int64(bytes.count), metadata: "filename Y2xpcC5tcDQ=")
            #expect(created.status == .created)
            #expect(created.headers[.tusResumable] == "1.0.0")
            let uploadURL = try #require(location)
            #expect(try await tus.head(uploadURL).headers[.uploadOffset] == "0")

            let first = try await tus.patch(uploadURL, offset: 0, bytes: bytes[0..<1_000_000])
            #expect(first.status == .noContent)
            #expect(first.headers[.uploadOffset] == "1000000")
            #expect(first.headers[.uploadExpires] != nil)
            #expect(first.headers[.videoID] == nil)
            #expect(try await client.execute(uri: "/api/v1/videos", method: .get).decode(VideoListResource.self).total == 0, "partial data never shows in the library")

            let last = try await tus.patch(uploadURL, offset: 1_000_000, bytes: bytes[1_000_000...])
            #expect(last.status == .noContent)
            #expect(last.headers[.uploadOffset] == "2500000")
            let videoID = try #require(last.headers[.videoID])

            let video = try await client.execute(uri: "/api/v1/videos/\(videoID)", method: .get).decode(VideoResource.self)
            #expect(video.filename == "clip.mp4")
            #expect(video.title == "clip")
            #expect(video.contentType == "video/mp4")
            #expect(video.sizeBytes == 2_500_000)
            #expect(video.sha256 == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
            let stream = try await client.execute(uri: "/api/v1/videos/\(videoID)/stream", method: .get)
            #expect(Array(stream.body.readableBytesView) == bytes)
            // A client that lost the final response learns the video from HEAD.
            #expect(try await tus.head(uploadURL).headers[.videoID] == videoID)

            // The block manifest was cut in the pass that hashed the chunks, across their seam.
            let stored = try await hub.services.videos.store.contents(of: VideoIngestor.manifestKey(of: #require(VideoID(videoID))), limit: 1 << 20)
            let manifest = try BlockManifest(decoding: stored)
            #expect(manifest.sha256 == video.sha256 && manifest.size == 2_500_000 && manifest.blockSize == 128 << 10)
            #expect(manifest.blocks.count == 20)
            for index in manifest.blocks.indices {
                let range = manifest.range(ofBlock: index)
                #expect(manifest.blocks[index] == BlockHash(digest: SHA256.hash(data: bytes[Int(range.lowerBound)...Int(range.upperBound)])))
            }
        }
        #expect(hub.stagedFiles.isEmpty)
    }

    @Test func finishingIsIdempotentAfterACrashBeforeTheUploadRecordedItsVideo() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let bytes = fakeMP4(size: 4000)
            let (_, location) = try await tus.create(length: 4000)
            let first = try await tus.patch(location!, offset: 0, bytes: bytes)
            let videoID = try #require(first.headers[.videoID])
            // Simulate a crash after the video was stored but before the upload recorded it.
            let uploadID = try #require(UploadID(String(location!.split(separator: "/").last!)))
            var record = try #require(try await hub.services.dependencies.repositories.uploads.find(uploadID))
            #expect(VideoID(derivedFrom: uploadID).rawValue == videoID)
            record.videoID = nil
            try await hub.services.dependencies.repositories.uploads.save(record)

            let retry = try await tus.patch(location!, offset: 4000, bytes: [])
            #expect(retry.status == .noContent)
            #expect(retry.headers[.videoID] == videoID)
            #expect(try await client.execute(uri: "/api/v1/videos", method: .get).decode(VideoListResource.self).total == 1)
        }
    }

    @Test func creationWithUpload() async throws {
        let hub = try TestHub()
        let bytes = fakeMP4(size: 5000)
        try await hub.test { client in
            let response = try await client.execute(
                uri: "/api/v1/uploads", method: .post,
                headers: [.tusResumable: "1.0.0", .uploadLength: "5000", .contentType: "application/offset+octet-stream"],
                body: ByteBuffer(bytes: bytes))
            #expect(response.status == .created)
            #expect(response.headers[.uploadOffset] == "5000")
            #expect(response.headers[.videoID] != nil)
        }
    }

    @Test func wrongTusVersionIs412() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            for version in ["0.2.2", nil] {
                var headers: HTTPFields = [.uploadLength: "10"]
                if let version { headers[.tusResumable] = version }
                let response = try await client.execute(uri: "/api/v1/uploads", method: .post, headers: headers)
                #expect(response.status == .preconditionFailed)
                #expect(response.headers[.init("Tus-Version")!] == "1.0.0")
                #expect(response.errorCode == "unsupported_tus_version")
            }
        }
    }

    @Test func wrongOffsetIs409() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let (_, location) = try await tus.create(length: 100)
            let response = try await tus.patch(location!, offset: 10, bytes: fakeMP4(size: 10))
            #expect(response.status == .conflict)
            #expect(response.errorCode == "offset_mismatch")
            #expect(response.headers[.tusResumable] == "1.0.0")
        }
    }

    @Test(arguments: ["sha1", "sha256"])
    func checksumMismatchIs460AndDiscardsTheChunk(algorithm: String) async throws {
        let hub = try TestHub()
        let bytes = fakeMP4(size: 3000)
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let (_, location) = try await tus.create(length: 3000)
            let first = bytes[0..<1000]
            let good = algorithm == "sha1" ? Data(Insecure.SHA1.hash(data: Data(first))) : Data(SHA256.hash(data: Data(first)))
            let accepted = try await tus.patch(location!, offset: 0, bytes: first, checksum: "\(algorithm) \(good.base64EncodedString())")
            #expect(accepted.status == .noContent)

            let wrong = try await tus.patch(location!, offset: 1000, bytes: bytes[1000..<2000], checksum: "\(algorithm) \(good.base64EncodedString())")
            #expect(wrong.status.code == 460)
            #expect(wrong.errorCode == "checksum_mismatch")
            #expect(try await tus.head(location!).headers[.uploadOffset] == "1000", "the mismatching chunk was discarded")

            let rest = try await tus.patch(location!, offset: 1000, bytes: bytes[1000...])
            #expect(rest.headers[.videoID] != nil)
            let video = try await client.execute(uri: "/api/v1/videos/\(rest.headers[.videoID]!)/stream", method: .get)
            #expect(Array(video.body.readableBytesView) == bytes)
        }
    }

    @Test func unknownChecksumAlgorithmIs400() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let (_, location) = try await tus.create(length: 100)
            let response = try await tus.patch(location!, offset: 0, bytes: [1, 2, 3], checksum: "md5 1B2M2Y8AsgTpgAmY7PhCfg==")
            #expect(response.status == .badRequest)
            #expect(response.errorCode == "unsupported_checksum_algorithm")
        }
    }

    @Test func bodyBeyondUploadLengthIs413AndKeepsNothing() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let (_, location) = try await tus.create(length: 100)
            let response = try await tus.patch(location!, offset: 0, bytes: fakeMP4(size: 150))
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "exceeds_upload_length")
            #expect(try await tus.head(location!).headers[.uploadOffset] == "0")
        }
    }

    @Test func missingOrInvalidUploadLengthIs400() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let missing = try await client.execute(uri: "/api/v1/uploads", method: .post, headers: [.tusResumable: "1.0.0"])
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == "missing_upload_length")
            for value in ["-1", "ten", "1e9", ""] {
                let invalid = try await client.execute(uri: "/api/v1/uploads", method: .post, headers: [.tusResumable: "1.0.0", .uploadLength: value])
                #expect(invalid.status == .badRequest, "Upload-Length: \(value)")
            }
        }
    }

    @Test func uploadLengthOverTheLimitIs413() async throws {
        let hub = try TestHub(maxUploadBytes: 1000)
        try await hub.test { client in
            let (response, location) = try await TusRequests(client: client).create(length: 1001)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "payload_too_large")
            #expect(location == nil)
        }
    }

    @Test func expiredUploadsAre410ThenSweptTo404() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let (_, location) = try await tus.create(length: 100)
            _ = try await tus.patch(location!, offset: 0, bytes: fakeMP4(size: 50))
            hub.clock.advance(by: 86_401)
            let expired = try await tus.patch(location!, offset: 50, bytes: fakeMP4(size: 50))
            #expect(expired.status == .gone)
            #expect(expired.errorCode == "upload_expired")
            #expect(try await hub.services.uploads.sweepExpired() == 1)
            #expect(try await tus.head(location!).status == .notFound)
        }
        #expect(hub.stagedFiles.isEmpty, "the sweep removed the partial file")
    }

    @Test func unknownAndMalformedUploadIDsAre404() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            for id in [String(repeating: "a", count: 32), "../../etc/passwd", "x"] {
                let response = try await tus.patch("/api/v1/uploads/\(id)", offset: 0, bytes: [1])
                #expect(response.status == .notFound, "id \(id)")
            }
        }
    }

    @Test func patchNeedsOffsetOctetStream() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let (_, location) = try await TusRequests(client: client).create(length: 10)
            let response = try await client.execute(
                uri: location!, method: .patch,
                headers: [.tusResumable: "1.0.0", .uploadOffset: "0", .contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(response.status == .unsupportedMediaType)
            let noOffset = try await client.execute(
                uri: location!, method: .patch,
                headers: [.tusResumable: "1.0.0", .contentType: "application/offset+octet-stream"], body: ByteBuffer(string: "x"))
            #expect(noOffset.status == .badRequest)
            #expect(noOffset.errorCode == "invalid_upload_offset")
        }
    }

    @Test func terminationRemovesTheUpload() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let (_, location) = try await tus.create(length: 100)
            _ = try await tus.patch(location!, offset: 0, bytes: fakeMP4(size: 40))
            let deleted = try await client.execute(uri: location!, method: .delete, headers: [.tusResumable: "1.0.0"])
            #expect(deleted.status == .noContent)
            #expect(try await tus.head(location!).status == .notFound)
        }
        #expect(hub.stagedFiles.isEmpty)
    }

    @Test func nonVideoBytesAre415AndLeaveNothing() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let html = Array("<html><script>alert(1)</script></html>".utf8)
            let (_, location) = try await tus.create(length: Int64(html.count))
            let response = try await tus.patch(location!, offset: 0, bytes: html)
            #expect(response.status == .unsupportedMediaType)
            #expect(response.errorCode == "unsupported_media_type")
            #expect(try await tus.head(location!).status == .notFound)
            #expect(try await client.execute(uri: "/api/v1/videos", method: .get).decode(VideoListResource.self).total == 0)
        }
        #expect(hub.stagedFiles.isEmpty)
    }

    @Test func pathLikeAndHugeFilenamesAreSanitised() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let tus = TusRequests(client: client)
            let pathLike = "filename " + Data("../../../etc/passwd.mp4".utf8).base64EncodedString()
            let first = try await tus.upload(fakeMP4(size: 100), metadata: pathLike)
            let video = try await client.execute(uri: "/api/v1/videos/\(first.headers[.videoID]!)", method: .get).decode(VideoResource.self)
            #expect(video.filename == "passwd.mp4")

            let huge = "filename " + Data((String(repeating: "x", count: 10_000) + ".mp4").utf8).base64EncodedString()
            let second = try await tus.upload(fakeMP4(size: 100), metadata: huge)
            #expect(second.status == .noContent)
            let long = try await client.execute(uri: "/api/v1/videos/\(second.headers[.videoID]!)", method: .get).decode(VideoResource.self)
            #expect(long.filename.utf8.count == 255)
            #expect(long.title.utf8.count <= 200)
        }
        let stored = try FileManager.default.subpathsOfDirectory(atPath: hub.directory)
        #expect(!stored.contains { $0.contains("passwd") }, "client file names never become paths")
    }

    @Test func malformedMetadataIs400() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            for metadata in ["filename ***not base64***", "file name Zm9v", "x,  ,y"] {
                let (response, _) = try await TusRequests(client: client).create(length: 10, metadata: metadata)
                #expect(response.status == .badRequest, "\(metadata)")
                #expect(response.errorCode == "invalid_metadata", "\(metadata)")
            }
            // Base64 of bytes that are not UTF-8 (a name from another system) is a name all the same.
            let (latin1, _) = try await TusRequests(client: client).create(length: 10, metadata: "filename " + Data([0x63, 0x61, 0x66, 0xE9]).base64EncodedString())
            #expect(latin1.status == .created)
        }
    }

    @Test func methodOverrideForProxiesWithoutPatch() async throws {
        let hub = try TestHub()
        try await hub.test { client in
            let (_, location) = try await TusRequests(client: client).create(length: 100)
            let response = try await client.execute(
                uri: location!, method: .post,
                headers: [.tusResumable: "1.0.0", .uploadOffset: "0", .contentType: "application/offset+octet-stream", .init("X-HTTP-Method-Override")!: "PATCH"],
                body: ByteBuffer(bytes: fakeMP4(size: 30)))
            #expect(response.status == .noContent)
            #expect(response.headers[.uploadOffset] == "30")
            // Without the header the request is incomplete (400); with another method, that
            // method is not allowed here (405).
            for (override, status, code) in [(nil, HTTPResponse.Status.badRequest, "missing_method_override"), ("PUT", .methodNotAllowed, "method_not_allowed")] {
                var headers: HTTPFields = [.tusResumable: "1.0.0", .uploadOffset: "30", .contentType: "application/offset+octet-stream"]
                if let override { headers[HTTPField.Name("X-HTTP-Method-Override")!] = override }
                let refused = try await client.execute(uri: location!, method: .post, headers: headers, body: ByteBuffer(bytes: [1]))
                #expect(refused.status == status)
                #expect(refused.errorCode == code)
            }
        }
    }
}
