import Foundation
import HubCore
import HubTestSupport
import Testing

/// `CatalogueRepository`, the same on every database: entries stored whole and replaced,
/// tombstones kept but not listed, this hub's own left out of the listing, search by word
/// prefix with any text safe, and digests for anti-entropy.
@Suite struct CatalogueRepositoryTests {
    static let here = NodeID.random()
    static let peer = NodeID.random()

    static func entry(
        _ title: String, from origin: NodeID = peer, tags: [String] = [], description: String = "", at seconds: TimeInterval,
        shared: Bool = true, deleted: Bool = false, stamp: UInt64 = 1
    ) -> CatalogueEntry {
        let at = ChangeStamp(clock: HLCTimestamp(milliseconds: stamp), node: origin)
        return CatalogueEntry(
            video: VideoID(), origin: origin, owner: "alice@hub",
            facts: .init(
                sizeBytes: 1_000, sha256: String(repeating: "ab", count: 32), contentType: "video/mp4",
                media: MediaInfo(durationSeconds: 3, width: 640, height: 360), createdAt: Date(timeIntervalSince1970: seconds), hasThumbnail: false),
            title: .init(title, at: at), description: .init(description, at: at), tags: .init(tags, at: at), shared: .init(shared, at: at),
            deleted: .init(deleted, at: at))
    }

    @Test(arguments: TestDatabase.allCases)
    func entriesAreStoredWholeListedNewestFirstAndSearched(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let catalogue = repositories.catalogue
            let sunset = Self.entry("Sunset over the bay", tags: ["sea"], at: 300)
            let storm = Self.entry("Storm", description: "Waves at 100% and 5_000 gulls", at: 200)
            let mine = Self.entry("Sunrise", from: Self.here, at: 400)
            let unshared = Self.entry("Sunny", at: 500, shared: false)
            let deleted = Self.entry("Sundial", at: 600, deleted: true)
            try await catalogue.save([sunset, storm, mine, unshared, deleted])

            #expect(try await catalogue.entries([sunset.video, deleted.video, VideoID()]) == [sunset.video: sunset, deleted.video: deleted])
            #expect(try await catalogue.entries([]).isEmpty)
            let all = try await catalogue.listed(query: nil, excludingOrigin: Self.here, offset: 0, limit: 10)
            #expect(all.items == [sunset, storm], "tombstones and this hub's own are not listed; newest first")
            #expect(all.total == 2)
            #expect(try await catalogue.listed(query: nil, excludingOrigin: Self.here, offset: 1, limit: 10).items == [storm])

            func search(_ query: String) async throws -> [VideoID] {
                try await catalogue.listed(query: query, excludingOrigin: Self.here, offset: 0, limit: 10).items.map(\.video)
            }
            #expect(try await search("sun") == [sunset.video])
            #expect(try await search("SUNSET Bay") == [sunset.video], "every word, any case")
            #expect(try await search("sea") == [sunset.video], "tags are searched")
            #expect(try await search("unset").isEmpty, "words match by their start")
            #expect(try await search("100%") == [storm.video])
            #expect(try await search("5_0") == [storm.video])
            for hostile in ["%", "_", "\\", "'; DROP TABLE catalogue_entry; --", "%%%"] {
                #expect(try await search(hostile).isEmpty, "\(hostile)")
            }
            #expect(try await search("sun\u{0}set") == [sunset.video], "control characters are dropped (PostgreSQL's text holds no NUL)")

            // A later write replaces the entry whole: unshared, it leaves the listing and search.
            var changed = sunset
            #expect(try changed.merge(Self.entry("Sunset", at: 300, shared: false, stamp: 2).with(video: sunset.video)))
            try await catalogue.save([changed])
            #expect(try await catalogue.entries([sunset.video])[sunset.video] == changed)
            #expect(try await search("sun").isEmpty)
            #expect(try await catalogue.listed(query: nil, excludingOrigin: Self.here, offset: 0, limit: 10).items == [storm])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func digestsFollowTheWritesHeld(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let catalogue = repositories.catalogue
            var entries = (0..<3).map { Self.entry("Clip \($0)", at: Double($0)) }
            // One digest with its top bit set, which the databases keep as a negative BIGINT: the
            // digest follows the stamps, so each try is from another origin (half have the bit).
            var high = Self.entry("Clip 3", from: .random(), at: 3)
            for _ in 0..<200 where high.digest <= UInt64(Int64.max) { high = Self.entry("Clip 3", from: .random(), at: 3) }
            #expect(high.digest > UInt64(Int64.max))
            entries.append(high)
            try await catalogue.save(entries)
            let digests = try await catalogue.digests()
            #expect(digests == Dictionary(uniqueKeysWithValues: entries.map { ($0.video, $0.digest) }))
            var edited = entries[1]
            _ = try edited.merge(Self.entry("Clip 1, edited", at: 1, stamp: 5).with(video: edited.video))
            try await catalogue.save([edited])
            let after = try await catalogue.digests()
            #expect(after[edited.video] == edited.digest && after[edited.video] != digests[edited.video])
            #expect(after[entries[0].video] == digests[entries[0].video])
        }
    }
}

extension CatalogueEntry {
    /// The same writes, as the entry of `video` (the tests make entries with fresh ids).
    func with(video: VideoID) -> CatalogueEntry {
        var copy = self
        copy.video = video
        return copy
    }
}
