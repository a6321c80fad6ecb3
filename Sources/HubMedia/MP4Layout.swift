import HubCore
import HubSystem
import NIOCore

/// Reads the top-level box layout of an ISO base media file (MP4/MOV) to tell whether its index
/// (`moov`) comes after the media data (`mdat`). Such a file cannot start playing until the
/// browser has fetched its tail, so the ingest pipeline remuxes it with faststart.
public enum MP4Layout {
    public static func indexIsAtEnd(of file: PosixFile) throws -> Bool {
        let size = try file.status().size
        var offset: Int64 = 0
        var sawMediaData = false
        // A well-formed file has a handful of top-level boxes; the bound stops a hostile file
        // from making us walk millions of tiny boxes.
        for _ in 0..<1_000 where offset + 8 <= size {
            var header = try file.read(count: 16, at: offset)
            guard let size32 = header.readInteger(as: UInt32.self),
                let type = header.readString(length: 4)
            else { return false }
            var boxSize = Int64(size32)
            if size32 == 1 {
                guard let size64 = header.readInteger(as: UInt64.self), size64 <= UInt64(Int64.max) else { return false }
                boxSize = Int64(size64)
            } else if size32 == 0 {
                boxSize = size - offset  // extends to end of file
            }
            // A box claiming more than the file holds is malformed; its size (up to 2^63 - 1 from
            // a 64-bit field) must not reach `offset += boxSize`, which would trap.
            guard boxSize >= 8, boxSize <= size - offset else { return false }
            switch type {
            case "mdat": sawMediaData = true
            case "moov": return sawMediaData
            default: break
            }
            offset += boxSize
        }
        return false
    }
}
