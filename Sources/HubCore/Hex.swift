extension Sequence<UInt8> {
    /// Lowercase hex of the bytes (digests, signatures). By hand rather than `String(format:)`,
    /// which costs about a microsecond a byte on Linux and sits on per-request paths.
    public var hexEncoded: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
