import Foundation
import HubCore
import HubTestSupport
import Testing

/// `VideoRepository` and `UploadRepository`, the same on every database.
@Suite struct VideoRepositoryTests {
    static func video(
        _ title: String, tags: [String] = [], description: String = "", at seconds: TimeInterval, owner: UserID? = nil, shared: Bool = false
    ) -> Video {
        let id = VideoID()
        return Video(
            id: id, title: title, description: description, tags: tags, originalFilename: "\(title).mp4",
            contentType: "video/mp4", sizeBytes: 10, sha256: "00", storageKey: "videos/\(id)/source", thumbnailKey: nil,
            media: MediaInfo(durationSeconds: 1.5, width: 640, height: 360, videoCodec: "h264", audioCodec: "aac"),
            createdAt: Date(timeIntervalSince1970: seconds), updatedAt: Date(timeIntervalSince1970: seconds),
            ownerID: owner, isShared: shared)
    }

    @Test(arguments: TestDatabase.allCases)
    func insertFindUpdateDelete(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let repository = repositories.videos
            var original = Self.video("Holiday", tags: ["beach"], at: 100)
            original.thumbnailKey = "videos/x/thumbnail.jpg"
            original.media = MediaInfo(durationSeconds: nil, width: nil, height: nil, videoCodec: nil, audioCodec: nil)
            try await repository.insert(original)
            #expect(try await repository.find(original.id) == original)
            #expect(try await repository.count() == 1)
            let updated = try await repository.update(
                original.id, changes: VideoChanges(title: "Holiday 2", tags: ["sea"]), at: Date(timeIntervalSince1970: 200))
            #expect(updated?.title == "Holiday 2")
            #expect(updated?.tags == ["sea"])
            #expect(updated?.description == "")
            #expect(updated?.updatedAt == Date(timeIntervalSince1970: 200))
            #expect(try await repository.find(original.id) == updated)
            #expect(try await repository.update(VideoID(), changes: VideoChanges(title: "x"), at: Date()) == nil)
            #expect(try await repository.delete(original.id)?.id == original.id)
            #expect(try await repository.find(original.id) == nil)
            #expect(try await repository.delete(original.id) == nil)
            try await repository.ping()
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func listsNewestFirstWithPages(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let repository = repositories.videos
            for index in 0..<5 { try await repository.insert(Self.video("v\(index)", at: TimeInterval(index))) }
            let first = try await repository.list(query: nil, visibility: .everything, offset: 0, limit: 2)
            #expect(first.items.map(\.title) == ["v4", "v3"])
            #expect(first.total == 5)
            #expect(try await repository.list(query: nil, visibility: .everything, offset: 4, limit: 2).items.map(\.title) == ["v0"])
            #expect(try await repository.list(query: nil, visibility: .everything, offset: 9, limit: 2).items.isEmpty)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func walksEveryVideoInIDOrder(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let repository = repositories.videos
            var inserted: [Video] = []
            for index in 0..<5 {
                let video = Self.video("v\(index)", at: TimeInterval(index), owner: index % 2 == 0 ? UserID() : nil, shared: index == 3)
                try await repository.insert(video)
                inserted.append(video)
            }
            var walked: [Video] = []
            var last: VideoID?
            while true {
                let batch = try await repository.videos(after: last, limit: 2)
                walked += batch
                guard let next = batch.last?.id else { break }
                last = next
            }
            #expect(walked.map(\.id.rawValue) == inserted.map(\.id.rawValue).sorted())
            #expect(try await repository.videos(after: nil, limit: 10).count == 5)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func searchesTitleDescriptionAndTagsByPrefix(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let repository = repositories.videos
            try await repository.insert(Self.video("Cats playing", at: 1))
            try await repository.insert(Self.video("Morning", description: "a catamaran trip", at: 2))
            try await repository.insert(Self.video("Evening", tags: ["caterpillar"], at: 3))
            try await repository.insert(Self.video("Dogs", at: 4))
            try await repository.insert(Self.video("Café crème", at: 5))
            #expect(
                try await repository.list(query: "cat", visibility: .everything, offset: 0, limit: 10).items.map(\.title)
                    == ["Evening", "Morning", "Cats playing"])
            #expect(try await repository.list(query: "dogs", visibility: .everything, offset: 0, limit: 10).total == 1)
            #expect(try await repository.list(query: "CAFE creme", visibility: .everything, offset: 0, limit: 10).total == 1)
            #expect(try await repository.list(query: "cat dogs", visibility: .everything, offset: 0, limit: 10).total == 0)
            // A retitled video is found by its new title only.
            let dogs = try await repository.list(query: "dogs", visibility: .everything, offset: 0, limit: 1).items[0]
            _ = try await repository.update(dogs.id, changes: VideoChanges(title: "Puppies"), at: Date())
            #expect(try await repository.list(query: "dogs", visibility: .everything, offset: 0, limit: 10).total == 0)
            #expect(try await repository.list(query: "pup", visibility: .everything, offset: 0, limit: 10).total == 1)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func hostileSearchTextIsJustText(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            try await repositories.videos.insert(Self.video("Cats", at: 1))
            for query in ["\"", "cat\" OR \"", "*", "NEAR(", "'; DROP TABLE video; --", "title:x", "-", "(((", "^", "cat & !", "a:* | b", "\\", "<->"] {
                _ = try await repositories.videos.list(query: query, visibility: .everything, offset: 0, limit: 10)
            }
            #expect(try await repositories.videos.list(query: "\"cat\" (((*", visibility: .everything, offset: 0, limit: 10).total == 1)
            #expect(try await repositories.videos.list(query: nil, visibility: .everything, offset: 0, limit: 10).total == 1)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func listingsHonourVisibility(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let alice = UserID(), bob = UserID()
            let repository = repositories.videos
            try await repository.insert(Self.video("alice private", at: 1, owner: alice))
            try await repository.insert(Self.video("alice shared", at: 2, owner: alice, shared: true))
            try await repository.insert(Self.video("bob private", at: 3, owner: bob))
            func titles(_ visibility: Visibility, _ query: String? = nil) async throws -> [String] {
                try await repository.list(query: query, visibility: visibility, offset: 0, limit: 10).items.map(\.title)
            }
            #expect(try await titles(.ownedOrShared(by: bob)) == ["bob private", "alice shared"])
            #expect(try await titles(.ownedOrShared(by: bob), "alice") == ["alice shared"])
            #expect(try await titles(.everything, "private") == ["bob private", "alice private"])
            #expect(try await repository.list(query: nil, visibility: .ownedOrShared(by: bob), offset: 0, limit: 1).total == 2)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func uploadsAreSavedFoundAndExpire(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let uploads = repositories.uploads
            let owner = UserID()
            var stale = UploadRecord(
                id: UploadID(), length: 10, offset: 5, metadata: ["filename": "a ünï \"quoted\"", "title": ""],
                createdAt: .init(timeIntervalSince1970: 0), expiresAt: .init(timeIntervalSince1970: 10), ownerID: owner)
            let fresh = UploadRecord(
                id: UploadID(), length: 10, offset: 0, metadata: [:], createdAt: .init(timeIntervalSince1970: 0),
                expiresAt: .init(timeIntervalSince1970: 1000), ownerID: nil, multipartUploadID: "2~aZ.Ab-c_d")
            let finished = UploadRecord(
                id: UploadID(), length: 10, offset: 10, metadata: [:], createdAt: .init(timeIntervalSince1970: 0),
                expiresAt: .init(timeIntervalSince1970: 10), videoID: VideoID(), ownerID: nil)
            try await uploads.insert(stale)
            try await uploads.insert(fresh)
            try await uploads.insert(finished)
            #expect(try await uploads.find(stale.id) == stale)
            #expect(try await uploads.find(fresh.id) == fresh)
            #expect(try await uploads.find(finished.id) == finished)
            #expect(try await uploads.expired(before: Date(timeIntervalSince1970: 100)).map(\.id) == [stale.id])
            stale.offset = 10
            stale.videoID = VideoID(derivedFrom: stale.id)
            try await uploads.save(stale)
            #expect(try await uploads.find(stale.id) == stale)
            #expect(try await uploads.expired(before: Date(timeIntervalSince1970: 100)).isEmpty)
            try await uploads.delete(fresh.id)
            #expect(try await uploads.find(fresh.id) == nil)
            try await uploads.delete(fresh.id)
            #expect(try await uploads.find(UploadID()) == nil)
        }
    }
}
