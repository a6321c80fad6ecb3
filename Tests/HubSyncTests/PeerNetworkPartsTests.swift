import Foundation
import HubCore
import Logging
import NIOCore
import Testing

@testable import HubSync

/// A wall clock moved by hand.
final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_790_000_000)
    func now() -> Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current.addTimeInterval(seconds) } }
}

struct DNSMessageTests {
    @Test func announcementsRoundTrip() throws {
        let service = MulticastDNSService(instance: "office", node: NodeID("ab" + String(repeating: "0", count: 30))!, port: 6881, host: "10.0.0.7", logger: .init(label: "t")) { _, _, _ in }
        let message = DNSMessage(isResponse: true, answers: service.announcementRecords(address: [10, 0, 0, 7]))
        let parsed = try DNSMessage(parsing: message.encoded())
        #expect(parsed == message)
        let hubs = MulticastDNSService.hubs(in: parsed, source: nil)
        #expect(hubs.count == 1 && hubs[0].address.description == "10.0.0.7:6881" && hubs[0].name == "office")
        #expect(hubs[0].node?.rawValue == "ab" + String(repeating: "0", count: 30))
        #expect(service.asksForUs(DNSMessage(isResponse: false, questions: [.init(name: "_streamhub._tcp.local", type: 12)])))
        #expect(!service.asksForUs(DNSMessage(isResponse: false, questions: [.init(name: "_http._tcp.local", type: 12)])))
    }

    /// A response as python-zeroconf sends it: names compressed with pointers, the records
    /// split between answers and additionals, and a record type we skip.
    @Test func readsCompressedResponses() throws {
        var bytes: [UInt8] = [0, 0, 0x84, 0, 0, 0, 0, 2, 0, 0, 0, 2]
        func name(_ labels: [String]) -> [UInt8] { labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0] }
        let typeOffset = bytes.count
        bytes += name(["_streamhub", "_tcp", "local"])
        bytes += [0, 12, 0, 1, 0, 0, 0x11, 0x94]
        let instance = [UInt8(2)] + Array("zc".utf8) + [0xC0, UInt8(typeOffset)]
        bytes += [0, UInt8(instance.count)] + instance
        let instanceOffset = bytes.count - instance.count
        bytes += [0xC0, UInt8(instanceOffset), 0, 33, 0x80, 1, 0, 0, 0, 120]
        let target = [UInt8(4)] + Array("host".utf8) + [0xC0, UInt8(typeOffset + 16)]  // "host" + the ".local" above
        bytes += [0, UInt8(6 + target.count), 0, 0, 0, 0, 0x1A, 0xE1]
        let targetOffset = bytes.count
        bytes += target
        bytes += [0xC0, UInt8(instanceOffset), 0, 47, 0, 1, 0, 0, 0, 120, 0, 2, 0, 0]  // NSEC: skipped
        bytes += [0xC0, UInt8(targetOffset), 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4, 192, 168, 1, 9]
        let parsed = try DNSMessage(parsing: bytes)
        #expect(parsed.answers.count == 2 && parsed.additionals.count == 2)
        #expect(parsed.answers[0].data == .ptr("zc._streamhub._tcp.local"))
        #expect(parsed.answers[1].data == .srv(priority: 0, weight: 0, port: 6881, target: "host.local") && parsed.answers[1].flush)
        let hubs = MulticastDNSService.hubs(in: parsed, source: "192.168.1.50")
        #expect(hubs.count == 1 && hubs[0].address.description == "192.168.1.9:6881" && hubs[0].name == "zc")
    }

    @Test func malformedPacketsAreRejectedNotTrusted() {
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage(parsing: [0, 0, 0x84]) }
        // A compression pointer to itself: the reader gives up instead of looping.
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage(parsing: [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1]) }
        // A record claiming more data than the packet has.
        #expect(throws: DNSMessage.Malformed.self) {
            try DNSMessage(parsing: [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 40, 1, 2])
        }
        var random = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let noise = (0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? DNSMessage(parsing: noise)
        }
    }
}

struct MembershipTests {
    @Test func theFailureDetectorMovesPeersFromAliveToSuspectToDeadWithBackoff() async throws {
        let clock = ManualClock()
        var settings = Membership.Settings()
        settings.forgetAfter = .seconds(100)
        let membership = Membership(own: .random(), settings: settings, clock: clock)
        let address = try #require(PeerAddress("10.0.0.2:6881"))
        let node = NodeID.random()
        #expect(await membership.add(address, name: "two", source: .configured))
        #expect(await membership.due() == [address])
        await membership.reached(address, node: node, name: "two")
        #expect(await membership.statuses()[0].state == .alive)
        #expect(await membership.randomAlive(3).map(\.address) == [address])
        #expect(await membership.randomAlive(3, excluding: [node]).isEmpty)
        #expect(await membership.due().isEmpty, "the next probe is a second away")
        clock.advance(by: 1)
        await membership.failed(address, error: "timed out")
        var status = await membership.statuses()[0]
        #expect(status.state == .suspect && status.failures == 1 && status.nextProbe == clock.now().addingTimeInterval(1))
        #expect(await membership.randomAlive(3).isEmpty, "suspects get no gossip")
        for _ in 0..<2 { await membership.failed(address, error: "timed out") }
        status = await membership.statuses()[0]
        #expect(status.state == .dead && status.nextProbe == clock.now().addingTimeInterval(4), "backoff doubles")
        for _ in 0..<10 { await membership.failed(address, error: "timed out") }
        #expect(await membership.statuses()[0].nextProbe == clock.now().addingTimeInterval(30), "up to the maximum")
        // A request from the peer brings it back at once.
        #expect(await membership.heard(from: node) == address)
        #expect(await membership.statuses()[0].state == .alive)
        #expect(await membership.discoverySeconds == 0)
    }

    @Test func discoveredPeersAreForgottenNamedOnesAreNot() async throws {
        let clock = ManualClock()
        var settings = Membership.Settings()
        settings.forgetAfter = .seconds(60)
        let own = NodeID.random()
        let membership = Membership(own: own, settings: settings, clock: clock)
        let found = try #require(PeerAddress("10.0.0.3:6881"))
        let named = try #require(PeerAddress("10.0.0.4:6881"))
        await membership.learn([.init(node: .random(), name: "found", address: found), .init(node: own, name: "me", address: named)])
        #expect(await membership.statuses().map(\.name) == ["found"], "a list naming this hub does not add it")
        await membership.add(named, name: "named", source: .added)
        clock.advance(by: 120)
        for _ in 0..<3 {
            await membership.failed(found, error: "refused")
            await membership.failed(named, error: "refused")
        }
        #expect(await membership.statuses().map(\.name) == ["named"])
        // The same node at a new address replaces the dead one.
        let node = NodeID.random()
        await membership.add(named, name: "named", node: node, source: .added)
        let moved = try #require(PeerAddress("10.0.0.9:6881"))
        #expect(await membership.add(moved, name: "named", node: node, source: .mdns))
        #expect(await membership.statuses().map(\.address) == [moved])
        // An address that turns out to be this hub is dropped and never added again.
        await membership.isOwn(moved)
        #expect(await !membership.add(moved, name: "again", source: .configured))
    }
}

struct OutboxTests {
    @Test func changesBetweenRoundsCollapseIntoOneEntryPerNote() {
        let outbox = Outbox()
        let (note, other) = (NoteID(), NoteID())
        let (a, b) = (NodeID.random(), NodeID.random())
        outbox.add(note, from: 5, except: [a, b])
        outbox.add(note, from: 3, except: [a])
        outbox.add(other, from: 1)
        let drained = outbox.drain()
        #expect(drained[note] == Outbox.Entry(from: 3, except: [a]))
        #expect(drained[other] == Outbox.Entry(from: 1, except: []))
        #expect(outbox.isEmpty)
    }
}
