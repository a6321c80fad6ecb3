import HubCore
import Testing

@testable import HubMedia

@Suite struct UploadMetadataTests {
    @Test func parsesTusMetadata() throws {
        let parsed = try UploadMetadata.parse("filename Y2xpcC5tcDQ=,title 8J+OrCBmaWxt,empty")
        #expect(parsed == ["filename": "clip.mp4", "title": "🎬 film", "empty": ""])
        #expect(try UploadMetadata.parse(UploadMetadata.encode(parsed)) == parsed)
    }

    @Test(arguments: ["filename not-base64!", "a b c", "x,  ,y", String(repeating: "k", count: 20_000)])
    func refusesMalformedMetadata(header: String) {
        #expect(throws: InvalidInput.self) { try UploadMetadata.parse(header) }
    }

    /// Base64 of bytes that are not UTF-8 (a Latin-1 file name) is read with U+FFFD for what
    /// is not UTF-8: the API contract can say "base64", not "base64 of UTF-8".
    @Test func valuesThatAreNotUTF8AreReadLossily() throws {
        #expect(try UploadMetadata.parse("filename /w==") == ["filename": "\u{FFFD}"])
        #expect(try UploadMetadata.parse("filename Y2Fm6S5tcDQ=") == ["filename": "caf\u{FFFD}.mp4"])
    }

    @Test func sanitisesFilenames() {
        #expect(UploadNaming.sanitizedFilename("../../etc/passwd") == "passwd")
        #expect(UploadNaming.sanitizedFilename("C:\\Users\\me\\clip.mp4") == "clip.mp4")
        #expect(UploadNaming.sanitizedFilename("..") == "video")
        #expect(UploadNaming.sanitizedFilename("a\u{0}b\nc.mp4") == "abc.mp4")
        #expect(UploadNaming.sanitizedFilename(nil) == "video")
        let long = UploadNaming.sanitizedFilename(String(repeating: "é", count: 10_000))
        #expect(long.utf8.count <= 255 && long.allSatisfy { $0 == "é" })
    }

    @Test func tagsAreTrimmedDeduplicatedAndBounded() {
        #expect(UploadNaming.tags(fromList: " cats, Dogs ,cats,,DOGS") == ["cats", "Dogs"])
        #expect(UploadNaming.tags(fromList: (0..<100).map(String.init).joined(separator: ",")).count == VideoLimits.tagCount)
    }

    @Test func checksumHeader() throws {
        #expect(try UploadChecksum(header: nil) == nil)
        #expect(try UploadChecksum(header: "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=")?.algorithm == .sha1)
        #expect(throws: InvalidInput("checksum algorithm 'md5' is not supported; use one of sha1,sha256", code: "unsupported_checksum_algorithm")) {
            try UploadChecksum(header: "md5 1B2M2Y8AsgTpgAmY7PhCfg==")
        }
        #expect(throws: InvalidInput.self) { try UploadChecksum(header: "sha1") }
        #expect(throws: InvalidInput.self) { try UploadChecksum(header: "sha1 ***") }
    }
}
