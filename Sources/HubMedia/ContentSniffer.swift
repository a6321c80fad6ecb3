/// Decides what a file is from its first bytes (its "magic"), never from the client's word: a
/// `Content-Type` or file name can lie, the container's signature cannot be faked without
/// producing a file players treat as that container anyway.
public enum ContentSniffer {
    /// How many leading bytes `sniff` wants.
    public static let prefixLength = 4096

    /// The video media type of `prefix`, or nil when it is not a video container the hub accepts.
    public static func videoType(of prefix: [UInt8]) -> String? {
        func at(_ offset: Int, _ ascii: String) -> Bool {
            let bytes = Array(ascii.utf8)
            return prefix.count >= offset + bytes.count && Array(prefix[offset..<offset + bytes.count]) == bytes
        }
        // ISO base media (MP4, MOV, 3GP, M4V): a box whose type is `ftyp` names the brand.
        if at(4, "ftyp"), prefix.count >= 12 {
            let brand = String(decoding: prefix[8..<12], as: UTF8.self)
            switch brand {
            case "qt  ": return "video/quicktime"
            case "3gp4", "3gp5", "3gp6", "3gp7", "3ge6", "3ge7", "3gg6": return "video/3gpp"
            case "3g2a", "3g2b", "3g2c": return "video/3gpp2"
            case "M4A ", "M4B ", "M4P ", "F4A ", "F4B ": return nil  // audio-only brands
            default: return "video/mp4"
            }
        }
        // Old QuickTime files may start with other top-level atoms.
        if at(4, "moov") || at(4, "mdat") || at(4, "wide") || at(4, "free") || at(4, "skip") || at(4, "pnot") {
            return "video/quicktime"
        }
        // EBML: Matroska or WebM, told apart by the DocType element's value.
        if prefix.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) {
            return containsASCII(prefix, "webm") ? "video/webm" : "video/x-matroska"
        }
        if at(0, "OggS") { return containsASCII(prefix, "theora") || containsASCII(prefix, "OVP80") ? "video/ogg" : nil }
        if at(0, "RIFF") && at(8, "AVI ") { return "video/x-msvideo" }
        if at(0, "FLV") && prefix.count > 3 && prefix[3] == 1 { return "video/x-flv" }
        // MPEG program stream pack header.
        if prefix.starts(with: [0x00, 0x00, 0x01, 0xBA]) { return "video/mpeg" }
        // MPEG transport stream: a sync byte every 188 bytes.
        if prefix.count >= 188 * 3, prefix[0] == 0x47, prefix[188] == 0x47, prefix[376] == 0x47 { return "video/mp2t" }
        // ASF (Windows Media).
        if prefix.starts(with: [0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) { return "video/x-ms-asf" }
        return nil
    }

    private static func containsASCII(_ haystack: [UInt8], _ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard haystack.count >= bytes.count else { return false }
        for start in 0...(haystack.count - bytes.count) where haystack[start] == bytes[0] {
            if Array(haystack[start..<start + bytes.count]) == bytes { return true }
        }
        return false
    }
}
