extension String {
    /// A string of `scalars`, encoded to UTF-8 straight into the string's storage. The standard
    /// library's `UnicodeScalarView.append(contentsOf:)` goes through an unspecialised generic
    /// map to UTF-32 and a second decoding pass, which made rebuilding a 1 MB note's text the
    /// most expensive step of saving it.
    public init(scalars: some Collection<Unicode.Scalar>) {
        var capacity = 0
        for scalar in scalars { capacity += UTF8.width(scalar) }
        self.init(unsafeUninitializedCapacity: capacity) { buffer in
            var index = 0
            for scalar in scalars {
                let value = scalar.value
                switch value {
                case 0..<0x80:
                    buffer[index] = UInt8(value)
                    index += 1
                case 0x80..<0x800:
                    buffer[index] = UInt8(0xC0 | (value >> 6))
                    buffer[index + 1] = UInt8(0x80 | (value & 0x3F))
                    index += 2
                case 0x800..<0x10000:
                    buffer[index] = UInt8(0xE0 | (value >> 12))
                    buffer[index + 1] = UInt8(0x80 | ((value >> 6) & 0x3F))
                    buffer[index + 2] = UInt8(0x80 | (value & 0x3F))
                    index += 3
                default:
                    buffer[index] = UInt8(0xF0 | (value >> 18))
                    buffer[index + 1] = UInt8(0x80 | ((value >> 12) & 0x3F))
                    buffer[index + 2] = UInt8(0x80 | ((value >> 6) & 0x3F))
                    buffer[index + 3] = UInt8(0x80 | (value & 0x3F))
                    index += 4
                }
            }
            return index
        }
    }
}

extension Array where Element == Unicode.Scalar {
    /// The scalars of `text`, decoded from its UTF-8 in one pass. `Array(text.unicodeScalars)`
    /// walks the string twice (once to count, once to copy) through the generic iterator.
    public init(scalarsOf text: String) {
        var text = text
        self = text.withUTF8 { bytes in
            var scalars: [Unicode.Scalar] = []
            scalars.reserveCapacity(bytes.count)
            var index = 0
            while index < bytes.count {
                let lead = UInt32(bytes[index])
                let value: UInt32
                // Swift strings hold valid UTF-8, so the lead byte says how many follow.
                switch lead {
                case 0..<0x80:
                    value = lead
                    index += 1
                case 0xC0..<0xE0:
                    value = (lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                    index += 2
                case 0xE0..<0xF0:
                    value = (lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
                    index += 3
                default:
                    value = (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                        | UInt32(bytes[index + 3] & 0x3F)
                    index += 4
                }
                scalars.append(Unicode.Scalar(value).unsafelyUnwrapped)
            }
            return scalars
        }
    }
}
