import CLinuxExtras
import Foundation
import NIOCore

/// CRC-32 (the zlib/IEEE polynomial) through zlib, which uses the CPU's carry-less multiply where
/// it has one. S3 checks a part's `x-amz-checksum-crc32` when it arrives and refuses a part
/// whose bytes were damaged on the way.
public enum CRC32 {
    public static func checksum(_ buffer: ByteBuffer) -> UInt32 {
        buffer.withUnsafeReadableBytes { bytes in
            var crc = crc32(0, nil, 0)
            var offset = 0
            // zlib takes a 32-bit length.
            while offset < bytes.count {
                let count = min(bytes.count - offset, Int(UInt32.max))
                crc = crc32(crc, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(count))
                offset += count
            }
            return UInt32(crc)
        }
    }

    /// The form S3 headers and XML carry: the four bytes big-endian, in base64.
    public static func base64(_ buffer: ByteBuffer) -> String {
        let value = checksum(buffer)
        let bytes = [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        return Data(bytes).base64EncodedString()
    }
}
