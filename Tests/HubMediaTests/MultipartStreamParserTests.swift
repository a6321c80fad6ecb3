import HubCore
import NIOCore
import Testing

@testable import HubMedia

@Suite struct MultipartStreamParserTests {
    static let body = "preamble to ignore\r\n--B\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHello\r\n--Bx\r\n"
        + "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
        + "line one\r\n--not the boundary\r\n\r\n--B\r\n\r\n\r\n--B--\r\nepilogue"

    /// Runs the parser over `chunks` and returns (headers, body) per part.
    static func parse(_ chunks: [String]) throws -> [(headers: [String: String], body: String)] {
        var parser = MultipartStreamParser(boundary: "B")
        var parts: [(headers: [String: String], body: String)] = []
        var body = ByteBuffer()
        var headers: [String: String] = [:]
        for chunk in chunks {
            for event in try parser.feed(ByteBuffer(string: chunk)) {
                switch event {
                case .headers(let h): headers = h
                case .body(var slice): body.writeBuffer(&slice)
                case .partEnd:
                    parts.append((headers, String(buffer: body)))
                    body.clear()
                }
            }
        }
        #expect(parser.isComplete)
        return parts
    }

    @Test func parsesPartsWhateverTheChunking() throws {
        let bytes = Array(Self.body.utf8)
        for split in 0...bytes.count {
            let chunks = [String(decoding: bytes[..<split], as: UTF8.self), String(decoding: bytes[split...], as: UTF8.self)]
            let parts = try Self.parse(chunks)
            #expect(parts.count == 3, "split at \(split)")
            #expect(parts[0].body == "Hello\r\n--Bx", "a longer boundary-like line is body")
            #expect(parts[1].headers["content-disposition"] == "form-data; name=\"file\"; filename=\"a.mp4\"")
            #expect(parts[1].body == "line one\r\n--not the boundary\r\n")
            #expect(parts[2].body == "")
        }
        let byteByByte = try Self.parse(bytes.map { String(decoding: [$0], as: UTF8.self) })
        #expect(byteByByte.map(\.body) == ["Hello\r\n--Bx", "line one\r\n--not the boundary\r\n", ""])
    }

    @Test func refusesMalformedBodies() throws {
        var noDelimiter = MultipartStreamParser(boundary: "B")
        #expect(try noDelimiter.feed(ByteBuffer(string: "--Bjunk\r\nstuff")).isEmpty)
        #expect(!noDelimiter.isComplete, "a boundary-like line is not a delimiter")
        var hugeHeaders = MultipartStreamParser(boundary: "B")
        #expect(throws: InvalidInput.self) {
            try hugeHeaders.feed(ByteBuffer(string: "--B\r\nX: " + String(repeating: "a", count: 20_000)))
        }
        var unfinished = MultipartStreamParser(boundary: "B")
        _ = try? unfinished.feed(ByteBuffer(string: "--B\r\n\r\nabc"))
        #expect(!unfinished.isComplete)
    }
}
