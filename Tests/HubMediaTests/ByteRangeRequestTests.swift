import Testing

@testable import HubMedia

@Suite struct ByteRangeRequestTests {
    let size: Int64 = 1000

    @Test(arguments: [
        ("bytes=0-499", ByteRangeRequest.single(0...499)),
        ("bytes=500-", .single(500...999)),
        ("bytes=-100", .single(900...999)),
        ("bytes=-5000", .single(0...999)),  // suffix longer than the file: all of it
        ("bytes=900-5000", .single(900...999)),  // end past the file is clamped
        ("BYTES = 0-0", .single(0...0)),
        ("bytes=0-1,5-6", .multiple([0...1, 5...6])),
        ("bytes=5-6,0-1", .multiple([0...1, 5...6])),  // sorted
        ("bytes=0-10,5-20", .single(0...20)),  // overlapping ranges coalesce
        ("bytes=0-9,10-19", .single(0...19)),  // adjacent ranges coalesce
        ("bytes=0-1, ,5-6", .multiple([0...1, 5...6])),  // empty list elements are allowed
    ])
    func satisfiable(header: String, expected: ByteRangeRequest) {
        #expect(ByteRangeRequest.parse(header, size: size) == expected)
    }

    @Test(arguments: [
        "bytes=1000-", "bytes=5000-6000", "bytes=-0", "bytes=abc", "bytes=5-1", "bytes=--5", "bytes=1-2-3",
        "bytes=", "bytes=+1-2", "bytes=0x10-20", "garbage", "bytes=99999999999999999999-",
    ])
    func unsatisfiableOrMalformed(header: String) {
        #expect(ByteRangeRequest.parse(header, size: size) == .unsatisfiable)
    }

    @Test func otherUnitsAreIgnored() {
        #expect(ByteRangeRequest.parse("items=0-5", size: size) == .whole)
        #expect(ByteRangeRequest.parse(nil, size: size) == .whole)
    }

    @Test func tooManyRangesAreRefused() {
        let many = (0..<40).map { "\($0 * 20)-\($0 * 20 + 1)" }.joined(separator: ",")
        #expect(ByteRangeRequest.parse("bytes=\(many)", size: size) == .unsatisfiable)
    }

    @Test func emptyRepresentationHasNoSatisfiableRange() {
        #expect(ByteRangeRequest.parse("bytes=0-", size: 0) == .unsatisfiable)
        #expect(ByteRangeRequest.parse("bytes=-10", size: 0) == .unsatisfiable)
    }
}
