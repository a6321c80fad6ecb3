import Foundation
import HubCore
import Testing

@testable import HubDatabase

@Suite struct VideoRepositoryTests {
    let database: HubDatabase
    init() throws { database = try HubDatabase.inMemory() }

    func video(_ title: String, tags: [String] = [], description: String = "", at seconds: TimeInterval, owner: UserID? = nil, shared: Bool = false) -> Video {
        let id = VideoID()
        return Video(
            id: id, title: title, description: description, tags: tags, originalFilename: "\(title).mp4",
            contentType: "video/mp4", sizeBytes: 10, sha256: "00", storageKey: "videos/\(id)/source", thumbnailKey: nil,
            media: MediaInfo(durationSeconds: 1.5, width: 640, height: 360, videoCodec: "h264", audioCodec: "aac"),
            createdAt: Date(timeIntervalSince1970: seconds), updatedAt: Date(timeIntervalSince1970: seconds),
            ownerID: owner, isShared: shared)
    }

    @Test func insertFindUpdateDelete() async throws {
        let repository = database.videos
        let original = video("Holiday", tags: ["beach"], at: 100)
        try await repository.insert(original)
        #expect(try await repository.find(original.id) == original)
        let updated = try await repository.update(original.id, changes: VideoChanges(title: "Holiday 2", tags: ["sea"]), at: Date(timeIntervalSince1970: 200))
        #expect(updated?.title == "Holiday 2")
        #expect(updated?.tags == ["sea"])
        #expect(updated?.description == "")
        #expect(try await repository.delete(original.id)?.id == original.id)
        #expect(try await repository.find(original.id) == nil)
        #expect(try await repository.delete(original.id) == nil)
    }

    @Test func listsNewestFirstWithPages() async throws {
        let repository = database.videos
        for index in 0..<5 { try await repository.insert(video("v\(index)", at: TimeInterval(index))) }
        let first = try await repository.list(query: nil, visibility: .everything, offset: 0, limit: 2)
        #expect(first.items.map(\.title) == ["v4", "v3"])
        #expect(first.total == 5)
        #expect(try await repository.list(query: nil, visibility: .everything, offset: 4, limit: 2).items.map(\.title) == ["v0"])
    }

    @Test func searchesTitleDescriptionAndTagsByPrefix() async throws {
        let repository = database.videos
        try await repository.insert(video("Cats playing", at: 1))
        try await repository.insert(video("Morning", description: "a catamaran trip", at: 2))
        try await repository.insert(video("Evening", tags: ["caterpillar"], at: 3))
        try await repository.insert(video("Dogs", at: 4))
        #expect(try await repository.list(query: "cat", visibility: .everything, offset: 0, limit: 10).items.map(\.title) == ["Evening", "Morning", "Cats playing"])
        #expect(try await repository.list(query: "dogs", visibility: .everything, offset: 0, limit: 10).total == 1)
    }

    @Test(arguments: ["\"", "cat\" OR \"", "*", "NEAR(", "'; DROP TABLE video; --", "title:x", "-", "(((", "^"])
    func hostileSearchTextIsJustText(query: String) async throws {
        try await database.videos.insert(video("Cats", at: 1))
        _ = try await database.videos.list(query: query, visibility: .everything, offset: 0, limit: 10)
        #expect(try await database.videos.list(query: nil, visibility: .everything, offset: 0, limit: 10).total == 1)
    }

    @Test func uploadsExpire() async throws {
        let uploads = database.uploads
        let stale = UploadRecord(id: UploadID(), length: 10, offset: 5, metadata: ["filename": "a"], createdAt: .init(timeIntervalSince1970: 0), expiresAt: .init(timeIntervalSince1970: 10), ownerID: nil)
        let fresh = UploadRecord(id: UploadID(), length: 10, offset: 0, metadata: [:], createdAt: .init(timeIntervalSince1970: 0), expiresAt: .init(timeIntervalSince1970: 1000), ownerID: nil)
        try await uploads.insert(stale)
        try await uploads.insert(fresh)
        #expect(try await uploads.expired(before: Date(timeIntervalSince1970: 100)).map(\.id) == [stale.id])
        #expect(try await uploads.find(stale.id) == stale)
    }
}
