import Foundation
import HubCore
import HubSystem
import NIOCore
import Testing

@testable import HubMedia

/// The faststart check reads box sizes from uploaded files: whatever they claim, it answers.
@Suite struct MP4LayoutTests {
    static func file(_ bytes: [UInt8]) throws -> PosixFile {
        let path = NSTemporaryDirectory() + "mp4-" + UUID().uuidString
        let file = try PosixFile(path: path, mode: .createOrOpenForWriting)
        try file.write(ByteBuffer(bytes: bytes), at: 0)
        return try PosixFile(path: path, mode: .read)
    }

    static func box(_ type: String, size: UInt32, payload: Int = 0) -> [UInt8] {
        withUnsafeBytes(of: size.bigEndian, Array.init) + Array(type.utf8) + [UInt8](repeating: 0, count: payload)
    }

    @Test func anIndexAfterTheMediaDataIsFound() throws {
        let bytes = Self.box("ftyp", size: 16, payload: 8) + Self.box("mdat", size: 24, payload: 16) + Self.box("moov", size: 8)
        #expect(try MP4Layout.indexIsAtEnd(of: Self.file(bytes)))
        let front = Self.box("ftyp", size: 16, payload: 8) + Self.box("moov", size: 8) + Self.box("mdat", size: 24, payload: 16)
        #expect(try !MP4Layout.indexIsAtEnd(of: Self.file(front)))
    }

    @Test func boxSizesPastTheFileAreMalformedNotATrap() throws {
        // A 64-bit size of 2^63 - 1 once reached `offset += boxSize` and trapped the hub.
        let huge = Self.box("ftyp", size: 16, payload: 8) + Self.box("free", size: 1) + withUnsafeBytes(of: UInt64(Int64.max).bigEndian, Array.init)
            + Self.box("moov", size: 8)
        #expect(try !MP4Layout.indexIsAtEnd(of: Self.file(huge)))
        let tooBig = Self.box("mdat", size: .max) + [UInt8](repeating: 0, count: 32)
        #expect(try !MP4Layout.indexIsAtEnd(of: Self.file(tooBig)))
    }
}
