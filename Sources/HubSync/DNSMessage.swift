/// The parts of a DNS message (RFC 1035) that multicast DNS service discovery (RFC 6762/6763)
/// uses: questions and PTR, SRV, TXT and A records. Reading follows compression pointers
/// (bounded, so a looping pointer cannot hang the reader); writing does not compress.
public struct DNSMessage: Equatable, Sendable {
    enum RecordType: UInt16 {
        case a = 1
        case ptr = 12
        case txt = 16
        case srv = 33
        case any = 255
    }

    struct Question: Equatable {
        var name: String
        var type: UInt16
    }

    enum RecordData: Equatable {
        case a([UInt8])
        case ptr(String)
        case txt([String])
        case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
        case other
    }

    struct Record: Equatable {
        var name: String
        var type: UInt16
        var ttl: UInt32
        var data: RecordData
        /// mDNS's cache-flush bit: this record replaces what caches hold for the name.
        var flush = false
    }

    var id: UInt16 = 0
    var isResponse: Bool
    var questions: [Question] = []
    var answers: [Record] = []
    var additionals: [Record] = []

    // MARK: - Writing

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.append(u16: id)
        out.append(u16: isResponse ? 0x8400 : 0)  // response + authoritative
        out.append(u16: UInt16(questions.count))
        out.append(u16: UInt16(answers.count))
        out.append(u16: 0)
        out.append(u16: UInt16(additionals.count))
        for question in questions {
            out.append(name: question.name)
            out.append(u16: question.type)
            out.append(u16: 1)  // IN
        }
        for record in answers + additionals {
            out.append(name: record.name)
            out.append(u16: record.type)
            out.append(u16: record.flush ? 0x8001 : 1)
            out.append(u32: record.ttl)
            var data: [UInt8] = []
            switch record.data {
            case .a(let address): data = address
            case .ptr(let target): data.append(name: target)
            case .txt(let strings):
                for string in strings {
                    let bytes = Array(string.utf8.prefix(255))
                    data.append(UInt8(bytes.count))
                    data += bytes
                }
                if strings.isEmpty { data.append(0) }
            case .srv(let priority, let weight, let port, let target):
                data.append(u16: priority)
                data.append(u16: weight)
                data.append(u16: port)
                data.append(name: target)
            case .other: break
            }
            out.append(u16: UInt16(data.count))
            out += data
        }
        return out
    }

    // MARK: - Reading

    struct Malformed: Error {}

    init(isResponse: Bool, questions: [Question] = [], answers: [Record] = [], additionals: [Record] = []) {
        self.isResponse = isResponse
        self.questions = questions
        self.answers = answers
        self.additionals = additionals
    }

    public init(parsing bytes: [UInt8]) throws {
        var reader = Reader(bytes: bytes)
        id = try reader.u16()
        let flags = try reader.u16()
        isResponse = flags & 0x8000 != 0
        let (questionCount, answerCount, authorityCount, additionalCount) = (try reader.u16(), try reader.u16(), try reader.u16(), try reader.u16())
        for _ in 0..<questionCount {
            let name = try reader.name()
            let type = try reader.u16()
            _ = try reader.u16()
            questions.append(Question(name: name, type: type))
        }
        for _ in 0..<answerCount { answers.append(try reader.record()) }
        for _ in 0..<authorityCount { _ = try reader.record() }
        for _ in 0..<additionalCount { additionals.append(try reader.record()) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u8() throws -> UInt8 {
            guard offset < bytes.count else { throw Malformed() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u16() throws -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
        mutating func u32() throws -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

        mutating func name() throws -> String {
            var labels: [String] = []
            var position = offset
            var jumped = false
            for _ in 0..<128 {
                guard position < bytes.count else { throw Malformed() }
                let length = Int(bytes[position])
                if length == 0 {
                    if !jumped { offset = position + 1 }
                    return labels.joined(separator: ".")
                }
                if length & 0xC0 == 0xC0 {
                    guard position + 1 < bytes.count else { throw Malformed() }
                    let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                    if !jumped { offset = position + 2 }
                    jumped = true
                    position = target
                    continue
                }
                guard position + 1 + length <= bytes.count else { throw Malformed() }
                labels.append(String(decoding: bytes[(position + 1)..<(position + 1 + length)], as: UTF8.self))
                position += 1 + length
            }
            throw Malformed()
        }

        mutating func record() throws -> Record {
            let name = try name()
            let type = try u16()
            let klass = try u16()
            let ttl = try u32()
            let length = Int(try u16())
            let end = offset + length
            guard end <= bytes.count else { throw Malformed() }
            let data: RecordData
            switch RecordType(rawValue: type) {
            case .a where length == 4: data = .a(Array(bytes[offset..<end]))
            case .ptr: data = .ptr(try self.name())
            case .srv: data = .srv(priority: try u16(), weight: try u16(), port: try u16(), target: try self.name())
            case .txt:
                var strings: [String] = []
                var position = offset
                while position < end {
                    let count = Int(bytes[position])
                    guard position + 1 + count <= end else { throw Malformed() }
                    strings.append(String(decoding: bytes[(position + 1)..<(position + 1 + count)], as: UTF8.self))
                    position += 1 + count
                }
                data = .txt(strings)
            default: data = .other
            }
            offset = end
            return Record(name: name, type: type, ttl: ttl, data: data, flush: klass & 0x8000 != 0)
        }
    }
}

extension [UInt8] {
    fileprivate mutating func append(u16 value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    fileprivate mutating func append(u32 value: UInt32) {
        append(u16: UInt16(value >> 16))
        append(u16: UInt16(value & 0xFFFF))
    }

    fileprivate mutating func append(name: String) {
        for label in name.split(separator: ".") {
            let bytes = Array(label.utf8.prefix(63))
            append(UInt8(bytes.count))
            self += bytes
        }
        append(0)
    }
}
