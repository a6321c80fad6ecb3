import Foundation
import HubCore
import HubDatabase
import HubDatabaseMigration
import HubPostgres
import HubTestSupport
import Logging
import PostgresNIO
import Testing

/// `streamhub database migrate`: a populated SQLite hub copied into PostgreSQL answers every
/// repository question as it did, and the copy resumes and refuses a database in use.
@Suite struct DatabaseMigrationTests {
    /// A SQLite hub with something in every table.
    static func populated() async throws -> (HubDatabase, Fixture) {
        let database = try HubDatabase.inMemory()
        let sqlite = database.repositories
        let alice = User(name: "alice", role: .admin, passwordHash: "$2b$04$a", createdAt: Date(timeIntervalSince1970: 10))
        let bob = User(name: "bob", role: .member, passwordHash: "$2b$04$b", isDisabled: true, sessionGeneration: 2, createdAt: Date(timeIntervalSince1970: 11))
        _ = try await sqlite.accounts.insert(alice, asFirstAccount: true)
        _ = try await sqlite.accounts.insert(bob, asFirstAccount: false)
        try await sqlite.accounts.insert(APIToken(id: "t1", userID: alice.id, label: "cli", secretHash: "hash-1", createdAt: Date(timeIntervalSince1970: 12.345)))
        try await sqlite.accounts.insert(Invitation(codeHash: "code", role: .member, createdBy: alice.id, expiresAt: Date(timeIntervalSince1970: 9_999)))
        try await sqlite.accounts.setSignupOpen(true)
        try await sqlite.settings.set("storageLocation", to: "local")
        var videos: [Video] = []
        for index in 0..<7 {
            var video = VideoRepositoryTests.video("Clip \(index) café", tags: ["t\(index % 2)"], at: TimeInterval(100 + index), owner: alice.id, shared: index % 2 == 0)
            if index == 3 { video.media = MediaInfo(durationSeconds: nil, width: nil, height: nil, videoCodec: nil, audioCodec: nil) }
            try await sqlite.videos.insert(video)
            if index == 5 {
                let track = CaptionTrack(language: "fr", label: "Français", storageKey: "videos/\(video.id.rawValue)/captions/fr.vtt", cueCount: 3)
                let cues = [
                    CaptionCue(startMilliseconds: 1_500, text: "Bonjour à tous"), CaptionCue(startMilliseconds: 1_500, text: "le port"),
                    CaptionCue(startMilliseconds: 9_000, text: "Un café au port"),
                ]
                video = try #require(try await sqlite.videos.putCaption(video.id, track, cues: cues))
            }
            videos.append(video)
        }
        let upload = UploadRecord(
            id: UploadID(), length: 100, offset: 40, metadata: ["filename": "a b.mp4", "title": "ünï"], createdAt: Date(timeIntervalSince1970: 50),
            expiresAt: Date(timeIntervalSince1970: 5_000), ownerID: alice.id, multipartUploadID: "m-1")
        try await sqlite.uploads.insert(upload)
        let node = NodeID.random()
        var notes: [NoteID] = []
        for index in 0..<5 {
            let id = NoteID()
            notes.append(id)
            var note = NoteRepositoryTests.note(id, title: "Note \(index) résumé", version: 1, shared: index % 2 == 0)
            note.homeNode = node
            var changes = [NoteRepositoryTests.change(id, clock: UInt64(index * 10 + 1) << 16, [.title(note.title), .shared(note.isShared), .tags(["t", "x\(index)"])], node: node)]
            note.tags = ["t", "x\(index)"]
            if index == 4 {
                changes.append(NoteRepositoryTests.change(id, clock: UInt64(index * 10 + 2) << 16, [.deleted(true)], node: node))
                note.version = 2
                note.deletedAt = Date(timeIntervalSince1970: 400)
            }
            try await sqlite.notes.record([(changes, note)], at: Date(timeIntervalSince1970: 300 + Double(index)))
        }
        try await sqlite.noteAnalytics.record([
            (.viewed(notes[0], by: alice.id), Date(timeIntervalSince1970: 86_400 * 2)),
            (.edited(notes[1], by: bob.id), Date(timeIntervalSince1970: 86_400 * 2 + 5)),
            (.searched(query: "Résumé", results: 0, by: nil), Date(timeIntervalSince1970: 86_400 * 3)),
        ])
        try await sqlite.syncLog.append((1...3).map { SyncLogEntry(at: Date(timeIntervalSince1970: Double($0)), event: .sent, peer: "p", notes: $0, summary: "s\($0)") })
        try await sqlite.peers.save(name: "peer one", address: "10.0.0.1:6881", at: Date(timeIntervalSince1970: 1))
        try await sqlite.catalogue.save([
            CatalogueRepositoryTests.entry("Harbour café", tags: ["sea"], at: 700), CatalogueRepositoryTests.entry("Gone", at: 701, deleted: true),
        ])
        return (database, Fixture(users: [alice, bob], videos: videos, upload: upload, notes: notes))
    }

    struct Fixture: Sendable {
        var users: [User]
        var videos: [Video]
        var upload: UploadRecord
        var notes: [NoteID]
    }

    /// What a hub reads, asked of one database's repositories.
    struct Answers: Equatable {
        var users: [User]
        var token: APIToken?
        var signupOpen: Bool
        var setting: String?
        var videos: [Video]
        var search: [VideoID]
        var spoken: [VideoID]
        var moments: [CaptionMatch]
        var upload: UploadRecord?
        var notes: [Note?]
        var histories: [NoteID: [NoteChange]]
        var versions: [[Int]]
        var digests: [NoteID: UInt64]
        var noteSearch: [NoteID]
        var tagged: Int
        var report: NoteAnalyticsReport
        var log: [String]
        var peers: [String]
        var catalogue: [CatalogueEntry]
        var catalogueDigests: [VideoID: UInt64]

        init(_ repositories: Repositories, _ fixture: Fixture) async throws {
            users = try await repositories.accounts.users()
            token = try await repositories.accounts.token(secretHash: "hash-1")
            signupOpen = try await repositories.accounts.isSignupOpen()
            setting = try await repositories.settings.value("storageLocation")
            videos = try await repositories.videos.list(query: nil, visibility: .everything, offset: 0, limit: 100).items
            search = try await repositories.videos.list(query: "cafe clip", visibility: .ownedOrShared(by: UserID()), offset: 0, limit: 100).items.map(\.id)
            spoken = try await repositories.videos.list(query: "bonjour", visibility: .everything, offset: 0, limit: 100).items.map(\.id)
            moments = try await repositories.videos.captionMatches("port", in: fixture.videos.map(\.id), perVideo: 5)
            upload = try await repositories.uploads.find(fixture.upload.id)
            var notes: [Note?] = []
            var versions: [[Int]] = []
            for id in fixture.notes {
                notes.append(try await repositories.notes.note(id))
                versions.append(try await repositories.notes.versions(of: id).map(\.version))
            }
            self.notes = notes
            self.versions = versions
            histories = try await repositories.notes.changes(of: fixture.notes)
            digests = try await repositories.notes.syncDigests(excludingDeletedBefore: .distantPast)
            noteSearch = try await repositories.notes.list(NoteQuery(text: "resume", visibility: .everything)).items.map(\.note.id).sorted { $0.rawValue < $1.rawValue }
            tagged = try await repositories.notes.list(NoteQuery(tag: "x1", visibility: .everything)).total
            report = try await repositories.noteAnalytics.report(
                visibility: .everything, searchesBy: nil, since: Date(timeIntervalSince1970: 0), until: Date(timeIntervalSince1970: 86_400 * 5))
            log = try await repositories.syncLog.recent(limit: 10, before: nil).map(\.summary)
            peers = try await repositories.peers.all().map { "\($0.name) \($0.address)" }
            catalogue = try await repositories.catalogue.listed(query: "harb", excludingOrigin: NodeID.random(), offset: 0, limit: 10).items
            catalogueDigests = try await repositories.catalogue.digests()
        }
    }

    @Test func aCopiedHubAnswersAsTheOriginalAndTheCopyResumes() async throws {
        let (sqlite, fixture) = try await Self.populated()
        let before = try await Answers(sqlite.repositories, fixture)
        try await withPostgres { postgres, _ in
            let node = NodeID.random()
            let migration = SQLiteToPostgres(
                source: sqlite.writer, sourceName: "test.sqlite", nodeID: node, target: postgres, batchSize: 2, logger: .quiet("migration"))
            let reports = try await migration.run()
            // The hub stays the same node to its peers.
            #expect(try await postgres.repositories(videoCache: { $0 }).settings.value(NodeID.settingName) == node.rawValue)
            #expect(reports.first { $0.table == "note_change" }?.rows == 6)
            #expect(reports.first { $0.table == "video" }?.rows == 7)
            #expect(reports.first { $0.table == "caption_cue" }?.rows == 3)
            let after = try await Answers(postgres.repositories(videoCache: { $0 }), fixture)
            #expect(before == after)
            #expect(!before.search.isEmpty && !before.noteSearch.isEmpty && before.report.totals.views == 1)
            #expect(before.spoken == [fixture.videos[5].id] && before.moments.map(\.startMilliseconds) == [1_500, 9_000], "captions are searched")
            #expect(before.catalogue.count == 1 && before.catalogueDigests.count == 2, "the catalogue, tombstone included, is copied")

            // Interrupted midway (some rows never arrived): running it again fills them in.
            try await postgres.client.query("DELETE FROM note_event WHERE id > 1")
            try await postgres.client.query("DELETE FROM video WHERE title LIKE 'Clip 6%'")
            try await postgres.client.query("DELETE FROM caption_cue WHERE position = 2")
            _ = try await migration.run()
            #expect(try await Answers(postgres.repositories(videoCache: { $0 }), fixture) == before)
            // New rows get ids after the copied ones.
            try await postgres.repositories(videoCache: { $0 }).syncLog.append([SyncLogEntry(at: Date(), event: .local, summary: "new")])
            #expect(try await postgres.repositories(videoCache: { $0 }).syncLog.recent(limit: 1, before: nil).first?.id == 4)

            // Another hub's database is never written into.
            let other = SQLiteToPostgres(
                source: try HubDatabase.inMemory().writer, sourceName: "other.sqlite", nodeID: .random(), target: postgres, logger: .quiet("m"))
            await #expect(throws: SQLiteToPostgres.Failure.self) { _ = try await other.run() }
        }
    }
}
