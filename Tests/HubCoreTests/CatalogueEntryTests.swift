import Foundation
import Testing

@testable import HubCore

/// The shared catalogue's entry: registers settle the same whatever order writes arrive in, only
/// the origin writes, the facts never change, and a peer's entry meets the API's own bounds.
@Suite struct CatalogueEntryTests {
    let origin = NodeID.random()
    let video = VideoID()

    func stamp(_ milliseconds: UInt64, _ node: NodeID? = nil) -> ChangeStamp {
        ChangeStamp(clock: HLCTimestamp(milliseconds: milliseconds), node: node ?? origin)
    }

    func entry(title: String = "Sunset", at time: UInt64 = 1, shared: Bool = true, deleted: Bool = false) -> CatalogueEntry {
        CatalogueEntry(
            video: video, origin: origin, owner: "alice@office",
            facts: .init(
                sizeBytes: 1_000, sha256: String(repeating: "ab", count: 32), contentType: "video/mp4",
                media: MediaInfo(durationSeconds: 12.5, width: 1280, height: 720, videoCodec: "h264", audioCodec: "aac"),
                createdAt: Date(timeIntervalSince1970: 1_700_000_000), hasThumbnail: true),
            title: .init(title, at: stamp(time)), description: .init("", at: stamp(1)), tags: .init(["sea"], at: stamp(1)),
            shared: .init(shared, at: stamp(time)), deleted: .init(deleted, at: stamp(time)))
    }

    @Test func writesSettleTheSameInAnyOrder() throws {
        let writes = [entry(title: "First", at: 2), entry(title: "Second", at: 3, shared: false), entry(title: "Third", at: 4, deleted: true)]
        var results: [CatalogueEntry] = []
        for order in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            var held = entry()
            for index in order { _ = try held.merge(writes[index]) }
            _ = try held.merge(writes[order[0]])  // a duplicate changes nothing
            results.append(held)
        }
        #expect(Set(results.map(\.title.value)) == ["Third"])
        #expect(results.allSatisfy { $0 == results[0] })
        #expect(!results[0].isListed, "the latest write deleted it")
        var held = results[0]
        #expect(try held.merge(writes[0]) == false, "an older write changes nothing")
    }

    @Test func onlyTheOriginWritesAndTheFactsNeverChange() throws {
        var held = entry()
        var forged = entry(title: "Mine now", at: 9)
        forged.title = .init("Mine now", at: stamp(9, .random()))
        #expect(throws: InvalidInput.self) { try held.merge(forged) }
        #expect(throws: InvalidInput.self) { try forged.validate() }

        var otherBytes = entry(at: 9)
        otherBytes.facts.sha256 = String(repeating: "cd", count: 32)
        var otherOwner = entry(at: 9)
        otherOwner.owner = "mallory@office"
        var otherOrigin = entry(at: 9)
        otherOrigin.origin = .random()
        for candidate in [otherBytes, otherOwner, otherOrigin] {
            #expect(throws: InvalidInput.self) { try held.merge(candidate) }
        }
        #expect(held == entry(), "a refused entry changes nothing")
    }

    @Test func aPeersEntryMeetsTheAPIsBounds() throws {
        try entry().validate()
        var cases: [(inout CatalogueEntry) -> Void] = [
            { $0.title.value = "" }, { $0.title.value = String(repeating: "x", count: 201) }, { $0.title.value = "two\nlines" },
            { $0.description.value = String(repeating: "x", count: 5_001) },
            { $0.tags.value = (0..<33).map { "t\($0)" } }, { $0.tags.value = [""] }, { $0.tags.value = [String(repeating: "t", count: 41)] },
            { $0.owner = "nobody" }, { $0.owner = "@office" },
            { $0.facts.sizeBytes = 0 }, { $0.facts.sizeBytes = 6 << 40 }, { $0.facts.sha256 = "ABCD" },
            { $0.facts.contentType = "text/html" },
        ]
        cases += [
            { $0.facts.media.durationSeconds = .nan }, { $0.facts.media.durationSeconds = -1 }, { $0.facts.media.width = -5 },
            { $0.facts.media.height = 1_000_000 }, { $0.facts.media.videoCodec = String(repeating: "c", count: 65) },
        ]
        for change in cases {
            var bad = entry()
            change(&bad)
            #expect(throws: InvalidInput.self) { try bad.validate() }
        }
    }

    @Test func entriesTravelAsJSON() throws {
        let original = entry(title: "Sunset ☀️", at: 7)
        let decoded = try JSONDecoder().decode(CatalogueEntry.self, from: JSONEncoder().encode(original))
        #expect(decoded == original)
    }
}
