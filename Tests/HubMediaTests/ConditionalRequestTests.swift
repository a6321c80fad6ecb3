import Foundation
import Testing

@testable import HubMedia

@Suite struct ConditionalRequestTests {
    let validators = Validators(sha256: "abc", lastModified: Date(timeIntervalSince1970: 1_700_000_000))
    var lastModified: String { HTTPDate.format(validators.lastModified) }
    var earlier: String { HTTPDate.format(validators.lastModified.addingTimeInterval(-60)) }

    @Test func ifNoneMatchMatchingIsNotModified() {
        #expect(ConditionalRequest(ifNoneMatch: "\"abc\"").evaluate(against: validators) == .notModified)
        #expect(ConditionalRequest(ifNoneMatch: "W/\"abc\"").evaluate(against: validators) == .notModified)
        #expect(ConditionalRequest(ifNoneMatch: "\"x\", \"abc\"").evaluate(against: validators) == .notModified)
        #expect(ConditionalRequest(ifNoneMatch: "*").evaluate(against: validators) == .notModified)
        #expect(ConditionalRequest(ifNoneMatch: "\"other\"").evaluate(against: validators) == .proceed(honourRange: true))
    }

    @Test func ifModifiedSince() {
        #expect(ConditionalRequest(ifModifiedSince: lastModified).evaluate(against: validators) == .notModified)
        #expect(ConditionalRequest(ifModifiedSince: earlier).evaluate(against: validators) == .proceed(honourRange: true))
        #expect(ConditionalRequest(ifModifiedSince: "not a date").evaluate(against: validators) == .proceed(honourRange: true))
        // If-None-Match takes precedence over If-Modified-Since.
        #expect(ConditionalRequest(ifNoneMatch: "\"other\"", ifModifiedSince: lastModified).evaluate(against: validators) == .proceed(honourRange: true))
    }

    @Test func ifMatchAndIfUnmodifiedSince() {
        #expect(ConditionalRequest(ifMatch: "\"other\"").evaluate(against: validators) == .preconditionFailed)
        #expect(ConditionalRequest(ifMatch: "W/\"abc\"").evaluate(against: validators) == .preconditionFailed)  // strong comparison
        #expect(ConditionalRequest(ifMatch: "\"abc\"").evaluate(against: validators) == .proceed(honourRange: true))
        #expect(ConditionalRequest(ifUnmodifiedSince: earlier).evaluate(against: validators) == .preconditionFailed)
    }

    @Test func ifRange() {
        #expect(ConditionalRequest(ifRange: "\"abc\"").evaluate(against: validators) == .proceed(honourRange: true))
        #expect(ConditionalRequest(ifRange: "\"old\"").evaluate(against: validators) == .proceed(honourRange: false))
        #expect(ConditionalRequest(ifRange: "W/\"abc\"").evaluate(against: validators) == .proceed(honourRange: false))
        #expect(ConditionalRequest(ifRange: lastModified).evaluate(against: validators) == .proceed(honourRange: true))
        #expect(ConditionalRequest(ifRange: earlier).evaluate(against: validators) == .proceed(honourRange: false))
    }

    @Test func httpDateRoundTrips() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == Date(timeIntervalSince1970: 784_111_777))
    }

    /// Found by the fuzzer: on Linux, Foundation's `DateFormatter` traps on this (a header any
    /// client can send). Not a date, and no crash.
    @Test func nonASCIIDatesAreNotDatesAndDoNotCrash() {
        let bytes: [UInt8] = Array("Sun, 06".utf8) + [0xDC, 0xB1, 0x90, 0x89, 0xDF, 0xCE, 0xC6, 0xC6] + Array("4 8:49:37 G&MT".utf8)
        #expect(HTTPDate.parse(String(decoding: bytes, as: UTF8.self)) == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT\u{1}") == nil)
        #expect(HTTPDate.parse(String(repeating: "Sun, 06 Nov 1994 08:49:37 GMT ", count: 100)) == nil)
        let request = ConditionalRequest(
            ifMatch: nil, ifNoneMatch: nil, ifModifiedSince: String(decoding: bytes, as: UTF8.self), ifUnmodifiedSince: nil, ifRange: nil)
        #expect(request.evaluate(against: Validators(sha256: String(repeating: "a", count: 64), lastModified: Date())) == .proceed(honourRange: true))
    }
}
