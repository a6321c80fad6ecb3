import Foundation
import HubCore
import HubDatabase
import HubMedia
import HubNotes
import Synchronization
import Testing

@testable import HubSync

/// The shared video catalogue between real `PeerNetwork`s wired in memory: the origin's writes
/// (sharing, edits, unsharing, deletion) reach every hub by gossip, two hops away included;
/// anti-entropy repairs lost gossip; a private video never enters the catalogue; and what a peer
/// may not write (another origin's registers, this hub's entries, entries out of bounds) is
/// refused, logged and changes nothing.
@Suite struct CatalogueGossipTests {
    let clock = ManualClock()
    let peers = InMemoryPeers()

    func cluster(_ count: Int) async throws -> [MemoryHub] {
        try await MemoryHub.cluster(count, on: peers, from: 7101, clock: clock)
    }

    /// A video stored on `hub` as an upload stores one, and told to the catalogue as ingest does.
    func upload(_ title: String, shared: Bool, on hub: MemoryHub) async throws -> Video {
        let video = Video(
            id: VideoID(), title: title, description: "about \(title)", tags: ["demo"], originalFilename: "\(title).mp4",
            contentType: "video/mp4", sizeBytes: 4_096, sha256: String(repeating: "ab", count: 32), storageKey: "videos/x/source",
            thumbnailKey: nil, media: MediaInfo(durationSeconds: 2.5), createdAt: clock.now(), updatedAt: clock.now(), ownerID: hub.user.id,
            isShared: shared)
        try await hub.database.videos.insert(video)
        await hub.catalogue.publish(video)
        return video
    }

    func edit(_ video: Video, _ changes: VideoChanges, on hub: MemoryHub) async throws -> Video {
        clock.advance(by: 1)
        let updated = try #require(try await hub.database.videos.update(video.id, changes: changes, at: clock.now()))
        await hub.catalogue.publish(updated)
        return updated
    }

    func gossip(_ hubs: [MemoryHub]) async throws {
        for hub in hubs { try await hub.network.catalogueGossipRound() }
    }

    @Test func aSharedVideoReachesAHubTwoHopsAwayMarkedWithItsOrigin() async throws {
        let hubs = try await cluster(3)
        // Hub 0 reaches only hub 1, and hub 1 reaches hub 2.
        peers.partition([[hubs[0].address, hubs[1].address], [hubs[1].address, hubs[2].address]])
        let video = try await upload("Launch", shared: true, on: hubs[0])
        try await gossip(hubs)
        for hub in hubs.dropFirst() {
            let entry = try #require(try await hub.catalogue.peerVideo(video.id))
            #expect(entry.title.value == "Launch" && entry.origin == hubs[0].network.identity.id)
            let listed = entry.libraryVideo
            #expect(listed.origin?.hubName == "hub-0" && listed.sizeBytes == 4_096 && listed.sha256 == video.sha256)
            #expect(try await hub.catalogue.peerVideos(query: "laun", offset: 0, limit: 10).items.map(\.video) == [video.id])
        }
        #expect(try await hubs[0].catalogue.peerVideo(video.id) == nil, "a hub's own video is not a peer's")
    }

    @Test func aPrivateVideoNeverEntersTheCatalogue() async throws {
        let hubs = try await cluster(2)
        let video = try await upload("Secret", shared: false, on: hubs[0])
        _ = try await edit(video, VideoChanges(title: "Still secret"), on: hubs[0])
        try await gossip(hubs)
        try await hubs[1].network.antiEntropyRound()
        #expect(try await hubs[0].catalogue.digests().isEmpty)
        #expect(try await hubs[1].catalogue.digests().isEmpty)
        #expect(peers.delivered("catalogue") == 0)
    }

    @Test func editsUnsharingAndDeletionByTheOriginPropagate() async throws {
        let hubs = try await cluster(3)
        var video = try await upload("Draft", shared: true, on: hubs[0])
        try await gossip(hubs)
        video = try await edit(video, VideoChanges(title: "Final cut", tags: ["launch"]), on: hubs[0])
        try await gossip(hubs)
        for hub in hubs.dropFirst() {
            #expect(try await hub.catalogue.peerVideo(video.id)?.title.value == "Final cut")
        }

        let withdrawn = WithdrawalLog()
        for hub in hubs.dropFirst() { hub.catalogue.onWithdrawal { withdrawn.add($0) } }
        video = try await edit(video, VideoChanges(shared: false), on: hubs[0])
        try await gossip(hubs)
        for hub in hubs.dropFirst() {
            #expect(try await hub.catalogue.peerVideo(video.id) == nil)
            let tombstone = try #require(try await hub.catalogue.entries([video.id]).first)
            #expect(tombstone.title.value.isEmpty && tombstone.tags.value.isEmpty, "an unshared video's text is private again")
        }
        #expect(withdrawn.videos == [video.id, video.id])

        video = try await edit(video, VideoChanges(shared: true), on: hubs[0])
        try await gossip(hubs)
        #expect(try await hubs[2].catalogue.peerVideo(video.id)?.title.value == "Final cut", "shared again, with its text")

        _ = try await hubs[0].database.videos.delete(video.id)
        await hubs[0].catalogue.withdraw(video)
        try await gossip(hubs)
        for hub in hubs.dropFirst() {
            #expect(try await hub.catalogue.peerVideo(video.id) == nil)
            #expect(try await hub.catalogue.entries([video.id]).first?.deleted.value == true)
        }
        // A late copy of the older, listed state brings nothing back.
        let digests = try await hubs[1].catalogue.digests()
        try await hubs[1].network.synchronizeCatalogue(with: hubs[2].address)
        #expect(try await hubs[1].catalogue.digests() == digests)
    }

    @Test func antiEntropyRepairsLostCatalogueGossip() async throws {
        let hubs = try await cluster(2)
        peers.faults { $0.path == "catalogue" ? .drop : nil }
        let video = try await upload("Lost", shared: true, on: hubs[0])
        try await gossip(hubs)
        #expect(try await hubs[1].catalogue.peerVideo(video.id) == nil)
        #expect(try await hubs[1].network.synchronizeCatalogue(with: hubs[0].address) == 1)
        #expect(try await hubs[1].catalogue.peerVideo(video.id)?.title.value == "Lost")
        #expect(try await hubs[1].network.synchronizeCatalogue(with: hubs[0].address) == 0, "nothing differs any more")
    }

    @Test func whatOnlyTheOriginMayWriteIsRefusedAndLogged() async throws {
        let hubs = try await cluster(2)
        let video = try await upload("Mine", shared: true, on: hubs[0])
        try await gossip(hubs)
        var held = try #require(try await hubs[1].catalogue.peerVideo(video.id))

        // Hub 1 tries to unshare hub 0's video, and to rewrite hub 0's own entry on hub 0.
        var forged = held
        forged.shared = .init(false, at: ChangeStamp(clock: HLCTimestamp(milliseconds: .max >> 17), node: hubs[1].network.identity.id))
        let receipt = try await hubs[1].network.transport.send(PeerMessage.CatalogueEntries(entries: [forged]), to: hubs[0].address)
        #expect(receipt.applied == 0)
        var stolen = held
        stolen.title = .init("Stolen", at: ChangeStamp(clock: HLCTimestamp(milliseconds: .max >> 17), node: hubs[0].network.identity.id))
        _ = try await hubs[1].network.transport.send(PeerMessage.CatalogueEntries(entries: [stolen]), to: hubs[0].address)
        #expect(try await hubs[0].catalogue.entries([video.id]).first?.title.value == "Mine")

        // Out of the API's bounds: a title too long, a control character, a bad digest.
        var tooLong = held
        tooLong.video = VideoID()
        tooLong.title.value = String(repeating: "t", count: VideoLimits.titleLength + 1)
        var control = tooLong
        control.video = VideoID()
        control.title.value = "bell\u{7}"
        var badDigest = tooLong
        badDigest.video = VideoID()
        badDigest.title.value = "fine"
        badDigest.facts.sha256 = "not hex"
        held.video = VideoID()
        let outcome = try await hubs[1].catalogue.merge([tooLong, control, badDigest, held], fromPeer: "test")
        #expect(outcome.refused.count == 3 && outcome.changed == [held.video])

        await hubs[0].notepad.journal.flush()
        let log = try await hubs[0].database.syncLog.recent(limit: 50, before: nil)
        #expect(log.contains { $0.event == .refused && $0.summary.contains("catalogue entry of video \(video.id)") })
        #expect(hubs[0].network.metrics.snapshot(discoverySeconds: nil).refused >= 2)
    }

    @Test func aPeersStaleCopyOfThisHubsEntryIsIgnoredQuietlyAndNoEntryShadowsALocalVideo() async throws {
        let hubs = try await cluster(2)
        var video = try await upload("First", shared: true, on: hubs[0])
        try await gossip(hubs)
        peers.faults { $0.path == "catalogue" ? .drop : nil }
        video = try await edit(video, VideoChanges(title: "Second"), on: hubs[0])
        try await gossip(hubs)
        // Hub 0 compares digests with hub 1, which is behind: it pulls the older copy, and that
        // is neither taken nor called a forgery.
        let refusedBefore = hubs[0].network.metrics.snapshot(discoverySeconds: nil).refused
        #expect(try await hubs[0].network.synchronizeCatalogue(with: hubs[1].address) == 0)
        #expect(hubs[0].network.metrics.snapshot(discoverySeconds: nil).refused == refusedBefore)
        #expect(try await hubs[0].catalogue.entries([video.id]).first?.title.value == "Second")

        // An entry from elsewhere carrying the id of one of hub 1's own videos is refused.
        let own = try await upload("Local", shared: false, on: hubs[1])
        var shadow = try #require(try await hubs[1].catalogue.peerVideo(video.id))
        shadow.video = own.id
        let outcome = try await hubs[1].catalogue.merge([shadow], fromPeer: "test")
        #expect(outcome.changed.isEmpty && outcome.refused.map(\.reason) == ["names one of this hub's own videos"])
    }

    @Test func oversizedCatalogueMessagesAreRefusedWhole() async throws {
        let hubs = try await cluster(2)
        let tooMany = (0...PeerMessage.catalogueLimit).map { _ in VideoID() }
        await #expect(throws: PeerError.catalogueTooLarge(limit: PeerMessage.catalogueLimit)) {
            try await hubs[0].network.cataloguePull(PeerMessage.CataloguePull(videos: tooMany), from: hubs[1].network.identity.id)
        }
    }

    @Test func reconcileDerivesMissedWritesFromTheLibrary() async throws {
        let hubs = try await cluster(1)
        let catalogue = hubs[0].catalogue
        // Shared before the catalogue existed: in the library, not in the catalogue.
        let video = Video(
            id: VideoID(), title: "Old", description: "", tags: [], originalFilename: "old.mp4", contentType: "video/mp4", sizeBytes: 10,
            sha256: String(repeating: "cd", count: 32), storageKey: "videos/y/source", thumbnailKey: nil, media: MediaInfo(),
            createdAt: clock.now(), updatedAt: clock.now(), ownerID: nil, isShared: true)
        try await hubs[0].database.videos.insert(video)
        #expect(try await catalogue.reconcile() == 1)
        #expect(try await catalogue.entries([video.id]).first?.owner == "former-member@hub-0")
        #expect(try await catalogue.reconcile() == 0, "a second round finds nothing to do")
        // Deleted without its tombstone (a crash between the two writes).
        _ = try await hubs[0].database.videos.delete(video.id)
        #expect(try await catalogue.reconcile() == 1)
        let tombstone = try #require(try await catalogue.entries([video.id]).first)
        #expect(tombstone.deleted.value && tombstone.title.value.isEmpty)
        #expect(try await catalogue.reconcile() == 0)
    }
}

/// The videos a withdrawal handler heard of, in order.
final class WithdrawalLog: Sendable {
    private let heard = Mutex<[VideoID]>([])
    func add(_ video: VideoID) { heard.withLock { $0.append(video) } }
    var videos: [VideoID] { heard.withLock { $0 } }
}
