import Foundation
import HubCore
import HubNotes
import Testing

@testable import HubSync

/// Gossip, anti-entropy, catch-up and the failure detector across several real `PeerNetwork`s
/// wired in memory, each round run by hand under a manual clock: no sleeps, no sockets, no
/// chance. (The end-to-end suite runs the same protocol between real hubs over HTTP.)
@Suite struct InMemoryPeerNetworkTests {
    let clock = ManualClock()
    let peers = InMemoryPeers()

    /// `count` hubs that each know every other and have probed them all once.
    func cluster(_ count: Int) async throws -> [MemoryHub] {
        try await MemoryHub.cluster(count, on: peers, from: 7001, clock: clock)
    }

    /// One probe round on every hub, once every probe is due.
    func probeAll(_ hubs: [MemoryHub]) async {
        clock.advance(by: 60)
        for hub in hubs { await hub.network.probeRound() }
    }

    func share(_ title: String, _ content: String, on hub: MemoryHub) async throws -> Note {
        try await hub.notepad.create(NoteEdit(title: title, content: content, shared: true), by: hub.user)
    }

    @Test func gossipCarriesASaveToEveryPeer() async throws {
        let hubs = try await cluster(3)
        for hub in hubs {
            #expect(await hub.network.membership.statuses().allSatisfy { $0.state == .alive })
        }
        let note = try await share("Plan", "gossip me", on: hubs[0])
        try await hubs[0].network.gossipRound()
        for hub in hubs { #expect(try await hub.notes()[note.id] == "gossip me") }
        #expect(peers.delivered("gossip") == 2)
        // Nothing new: the next round sends nothing.
        try await hubs[0].network.gossipRound()
        #expect(peers.delivered("gossip") == 2)
    }

    @Test func antiEntropyRepairsWhatGossipLost() async throws {
        let hubs = try await cluster(2)
        peers.faults { $0.path == "gossip" ? .drop : nil }
        let note = try await share("Lost", "never gossiped", on: hubs[0])
        try await hubs[0].network.gossipRound()
        #expect(try await hubs[1].notes()[note.id] == nil)
        // The other hub compares digests with its only peer and pulls what differs.
        try await hubs[1].network.antiEntropyRound()
        #expect(try await hubs[1].notes()[note.id] == "never gossiped")
    }

    @Test func duplicatedAndUnacknowledgedMessagesChangeNothingTwice() async throws {
        let hubs = try await cluster(2)
        peers.faults { _ in .duplicate }
        let note = try await share("Twice", "once", on: hubs[0])
        try await hubs[0].network.gossipRound()
        #expect(peers.delivered("gossip") == 2)
        _ = try await hubs[0].notepad.edit(note.id, NoteEdit(content: "once more"), baseVersion: nil, by: hubs[0].user)
        // Applied there, but the answer is lost: sent again by anti-entropy, applied once.
        peers.faults { $0.path == "gossip" ? .loseAnswer : nil }
        try await hubs[0].network.gossipRound()
        peers.faults(nil)
        try await hubs[1].network.antiEntropyRound()
        let there = try await hubs[1].notepad.view(note.id, for: hubs[1].user)
        let here = try await hubs[0].notepad.view(note.id, for: hubs[0].user)
        #expect(there.content == "once more" && there.version == here.version)
    }

    @Test func delayedMessagesArriveOutOfOrderAndStillConverge() async throws {
        let hubs = try await cluster(2)
        let note = try await share("Order", "v1", on: hubs[0])
        try await hubs[0].network.gossipRound()
        // The second save's gossip is held back (the sender gives up on it and suspects the
        // peer); the third is made meanwhile.
        peers.faults { $0.path == "gossip" ? .delay : nil }
        _ = try await hubs[0].notepad.edit(note.id, NoteEdit(content: "v2"), baseVersion: nil, by: hubs[0].user)
        try await hubs[0].network.gossipRound()
        #expect(await hubs[0].state(of: hubs[1]) == .suspect)
        peers.faults(nil)
        _ = try await hubs[0].notepad.edit(note.id, NoteEdit(content: "v3"), baseVersion: nil, by: hubs[0].user)
        // The next probe finds the peer again and compares notes; gossip goes on from there.
        await probeAll(hubs)
        try await hubs[0].network.gossipRound()
        #expect(try await hubs[1].notes()[note.id] == "v3")
        // The stale v2 arrives last and changes nothing.
        await peers.deliverDelayed()
        #expect(peers.delivered("gossip") >= 2)
        #expect(try await hubs[1].notes()[note.id] == "v3")
        #expect(try await hubs[1].notepad.view(note.id, for: hubs[1].user).version == 3)
    }

    @Test func theFailureDetectorSuspectsKillsAndRevivesAPeer() async throws {
        let hubs = try await cluster(2)
        #expect(await hubs[0].state(of: hubs[1]) == .alive)
        peers.partition([[hubs[0].address], [hubs[1].address]])
        await probeAll(hubs)
        #expect(await hubs[0].state(of: hubs[1]) == .suspect)
        // Gossip goes only to alive peers: a suspect one is left to anti-entropy.
        _ = try await share("While apart", "x", on: hubs[0])
        try await hubs[0].network.gossipRound()
        #expect(peers.delivered("gossip") == 0)
        for _ in 0..<3 { await probeAll(hubs) }
        #expect(await hubs[0].state(of: hubs[1]) == .dead)
        peers.heal()
        await probeAll(hubs)
        #expect(await hubs[0].state(of: hubs[1]) == .alive)
    }

    @Test func aHealedPartitionConvergesWithBothSidesEdits() async throws {
        let hubs = try await cluster(3)
        let note = try await share("Agenda", "one\ntwo\nthree", on: hubs[0])
        try await hubs[0].network.gossipRound()
        peers.partition([[hubs[0].address, hubs[1].address], [hubs[2].address]])
        // Each side edits the same note, and each side makes a note of its own.
        _ = try await hubs[1].notepad.edit(note.id, NoteEdit(content: "ONE\ntwo\nthree"), baseVersion: 1, by: hubs[1].user)
        _ = try await hubs[2].notepad.edit(note.id, NoteEdit(content: "one\ntwo\nTHREE"), baseVersion: 1, by: hubs[2].user)
        let left = try await share("Left", "made on the left", on: hubs[1])
        let right = try await share("Right", "made on the right", on: hubs[2])
        for hub in hubs { try await hub.network.gossipRound() }
        #expect(try await hubs[0].notes()[right.id] == nil)
        peers.heal()
        // Back in touch: the probes find the other side again and catch up at once.
        for _ in 0..<2 { await probeAll(hubs) }
        for hub in hubs {
            try await hub.network.antiEntropyRound()
            try await hub.network.catchUpRound()
        }
        let expected = try await hubs[0].notes()
        #expect(expected[note.id] == "ONE\ntwo\nTHREE")
        #expect(expected[left.id] == "made on the left" && expected[right.id] == "made on the right")
        for hub in hubs.dropFirst() { #expect(try await hub.notes() == expected) }
    }
}
