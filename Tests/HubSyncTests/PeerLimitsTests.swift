import Foundation
import HubCore
import Testing

@testable import HubSync

/// What one peer can make this hub do is bounded (issue 13): how many hosts its lists make this
/// hub probe, and how much its refused requests write.
struct PeerLimitsTests {
    static func members(_ count: Int, prefix: String) -> [PeerMessage.Member] {
        (0..<count).map { index in
            PeerMessage.Member(node: .random(), name: "\(prefix)\(index)", address: PeerAddress(host: "\(prefix)-\(index).example", port: 6881)!)
        }
    }

    @Test func peersTeachABoundedNumberOfUnconfirmedMembers() async throws {
        let membership = Membership(own: .random(), clock: ManualClock())
        // The finding: three signed hellos taught 3,000 members.
        for sender in 0..<3 {
            #expect(await membership.learn(Self.members(1_000, prefix: "h\(sender)")) == Membership.maxLearnedPerList)
        }
        for round in 0..<20 { await membership.learn(Self.members(100, prefix: "r\(round)")) }
        #expect(await membership.statuses().count == Membership.maxUnconfirmed)
        // Names a peer could not announce itself with are not learned at all.
        let fresh = Membership(own: .random(), clock: ManualClock())
        let bad = [PeerMessage.Member(node: nil, name: "line\nbreak", address: PeerAddress(host: "x.example", port: 1)!),
                   PeerMessage.Member(node: nil, name: String(repeating: "n", count: 64), address: PeerAddress(host: "y.example", port: 1)!)]
        #expect(await fresh.learn(bad) == 0)
    }

    @Test func repeatedRefusalsFoldIntoOneLineAMinutePerSender() {
        let folding = RefusalFolding()
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        #expect(folding.admit("10.0.0.9", at: start) == 0)
        for second in 1...1_999 { #expect(folding.admit("10.0.0.9", at: start.addingTimeInterval(Double(second) / 100)) == nil) }
        #expect(folding.admit("10.0.0.8", at: start.addingTimeInterval(1)) == 0, "another sender is written")
        #expect(folding.admit("10.0.0.9", at: start.addingTimeInterval(61)) == 1_999, "the next line says how many were folded")
        for sender in 0..<(RefusalFolding.maxSenders * 3) { _ = folding.admit("s\(sender)", at: start.addingTimeInterval(200)) }
    }
}
