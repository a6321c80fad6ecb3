import Testing

@testable import HubMedia

@Suite struct ContentSnifferTests {
    /// Concatenates byte arrays and ASCII strings.
    static func bytes(_ parts: [BytePart]) -> [UInt8] { parts.flatMap(\.bytes) }

    struct BytePart: ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
        let bytes: [UInt8]
        init(stringLiteral value: String) { bytes = Array(value.utf8) }
        init(arrayLiteral elements: UInt8...) { bytes = elements }
    }

    @Test func recognisesVideoContainers() {
        #expect(ContentSniffer.videoType(of: Self.bytes([[0, 0, 0, 0x18], "ftypisom", [0, 0, 2, 0]])) == "video/mp4")
        #expect(ContentSniffer.videoType(of: Self.bytes([[0, 0, 0, 0x14], "ftypqt  ", [0, 0, 0, 0]])) == "video/quicktime")
        #expect(ContentSniffer.videoType(of: Self.bytes([[0, 0, 0, 0x14], "ftyp3gp4", [0, 0, 0, 0]])) == "video/3gpp")
        #expect(ContentSniffer.videoType(of: Self.bytes([[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x84], "webm"])) == "video/webm")
        #expect(ContentSniffer.videoType(of: Self.bytes([[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x88], "matroska"])) == "video/x-matroska")
        #expect(ContentSniffer.videoType(of: Self.bytes(["RIFF", [1, 2, 3, 4], "AVI LIST"])) == "video/x-msvideo")
        #expect(ContentSniffer.videoType(of: [0x00, 0x00, 0x01, 0xBA, 0x44]) == "video/mpeg")
        var transportStream = [UInt8](repeating: 0, count: 188 * 3)
        for packet in 0..<3 { transportStream[packet * 188] = 0x47 }
        #expect(ContentSniffer.videoType(of: transportStream) == "video/mp2t")
    }

    @Test func refusesEverythingElse() {
        #expect(ContentSniffer.videoType(of: []) == nil)
        #expect(ContentSniffer.videoType(of: Array("<html><script>alert(1)</script>".utf8)) == nil)
        #expect(ContentSniffer.videoType(of: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == nil)  // PNG
        #expect(ContentSniffer.videoType(of: Array("%PDF-1.7".utf8)) == nil)
        #expect(ContentSniffer.videoType(of: Self.bytes([[0, 0, 0, 0x14], "ftypM4A ", [0, 0, 0, 0]])) == nil)  // audio only
        #expect(ContentSniffer.videoType(of: Self.bytes(["OggS", [0, 2], "vorbis"])) == nil)  // audio only
    }
}
