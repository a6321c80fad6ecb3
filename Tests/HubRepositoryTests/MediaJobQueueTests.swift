import Foundation
import HubCore
import HubTestSupport
import Testing

/// `MediaJobQueue` and the processing state of videos, the same on every database.
@Suite struct MediaJobQueueTests {
    static let start = Date(timeIntervalSince1970: 1_000)

    static func processingVideo(at seconds: TimeInterval = 1_000) -> Video {
        var video = VideoRepositoryTests.video("Clip", at: seconds)
        video.processing = .processing(0)
        return video
    }

    static func at(_ seconds: TimeInterval) -> Date { start.addingTimeInterval(seconds) }

    @Test(arguments: TestDatabase.allCases)
    func aProcessingVideoComesWithItsJobAndAReadyOneWithout(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let (videos, jobs) = (repositories.videos, repositories.mediaJobs)
            let processing = Self.processingVideo()
            try await videos.insert(processing)
            try await videos.insert(VideoRepositoryTests.video("Old", at: 900))
            #expect(try await videos.find(processing.id)?.processing == .processing(0))
            #expect(try await jobs.depth() == 1)
            let job = try #require(try await jobs.claim(by: "w1", now: Self.at(0), until: Self.at(30)))
            #expect(job == MediaJob(videoID: processing.id, kind: .prepare, attempts: 1))
            #expect(try await jobs.claim(by: "w2", now: Self.at(1), until: Self.at(31)) == nil, "a claimed job is not claimed twice")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aJobWhoseLeaseRanOutIsClaimedAgainAndItsOldHolderCanNoLongerTouchIt(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let (videos, jobs) = (repositories.videos, repositories.mediaJobs)
            let video = Self.processingVideo()
            try await videos.insert(video)
            let first = try #require(try await jobs.claim(by: "w1", now: Self.at(0), until: Self.at(30)))
            #expect(try await jobs.renew(first, by: "w1", until: Self.at(40)))
            #expect(try await jobs.claim(by: "w2", now: Self.at(35), until: Self.at(65)) == nil, "the renewed lease holds")
            let second = try #require(try await jobs.claim(by: "w2", now: Self.at(41), until: Self.at(71)), "w1 died: its lease ran out")
            #expect(second.attempts == 2)
            #expect(try await jobs.renew(first, by: "w1", until: Self.at(80)) == false)
            try await jobs.complete(first, by: "w1", queueing: [.previews], at: Self.at(42))
            #expect(try await jobs.depth() == 1, "the old holder's completion is ignored, and queues nothing")
            try await jobs.complete(second, by: "w2", queueing: [], at: Self.at(43))
            #expect(try await jobs.depth() == 0)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aFailedAttemptWaitsForItsRetryTimeAndAFinalFailureWaitsForARetryByHand(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let (videos, jobs) = (repositories.videos, repositories.mediaJobs)
            let video = Self.processingVideo()
            try await videos.insert(video)
            let first = try #require(try await jobs.claim(by: "w", now: Self.at(0), until: Self.at(30)))
            try await jobs.fail(first, by: "w", error: "ffmpeg timed out", retryAt: Self.at(10))
            #expect(try await jobs.claim(by: "w", now: Self.at(5), until: Self.at(35)) == nil, "not before its retry time")
            let second = try #require(try await jobs.claim(by: "w", now: Self.at(10), until: Self.at(40)))
            #expect(second.attempts == 2 && second.lastError == "ffmpeg timed out")
            try await jobs.fail(second, by: "w", error: "the file holds sound only", retryAt: nil)
            #expect(try await jobs.claim(by: "w", now: Self.at(10_000), until: Self.at(10_030)) == nil, "failed for good")
            #expect(try await jobs.depth() == 0)

            try await jobs.retry(video.id, at: Self.at(20))
            let third = try #require(try await jobs.claim(by: "w", now: Self.at(20), until: Self.at(50)))
            #expect(third.attempts == 1 && third.lastError == nil, "a retry by hand starts the attempts again")
            try await jobs.retry(video.id, at: Self.at(21))
            #expect(try await jobs.renew(third, by: "w", until: Self.at(60)), "a retry leaves a running job alone")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func aRetryOfAVideoWithoutAJobQueuesOneAndReleasingClaimsFreesThemAtOnce(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let (videos, jobs) = (repositories.videos, repositories.mediaJobs)
            var video = VideoRepositoryTests.video("Failed by an older hub", at: 1_000)
            video.processing = .failed("gone wrong")
            try await videos.insert(video)
            #expect(try await jobs.depth() == 0)
            try await jobs.retry(video.id, at: Self.at(0))
            _ = try #require(try await jobs.claim(by: "w1", now: Self.at(0), until: Self.at(30)))
            try await jobs.releaseEveryClaim()
            let again = try #require(try await jobs.claim(by: "w2", now: Self.at(1), until: Self.at(31)), "a restarted hub takes its job back")
            #expect(again.attempts == 2)
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func processingOutcomesAreRecordedAndDeletingAVideoDropsItsJob(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let (videos, jobs) = (repositories.videos, repositories.mediaJobs)
            let video = Self.processingVideo()
            try await videos.insert(video)
            let progressed = try await videos.recordProcessing(video.id, ProcessingUpdate(state: .processing(0.4)), at: Self.at(1))
            #expect(progressed?.processing == .processing(0.4))
            #expect(progressed?.media == video.media, "progress alone leaves the rest")
            let media = MediaInfo(durationSeconds: 6, width: 1280, height: 720, videoCodec: "hevc", audioCodec: "aac")
            let ready = try #require(
                try await videos.recordProcessing(
                    video.id, ProcessingUpdate(state: .ready, media: media, thumbnailKey: "videos/x/thumbnail.jpg", content: ("ab", 42)),
                    at: Self.at(2)))
            #expect(ready.processing == .ready && ready.media == media && ready.thumbnailKey == "videos/x/thumbnail.jpg")
            #expect(ready.sha256 == "ab" && ready.sizeBytes == 42 && ready.updatedAt == Self.at(2))
            #expect(try await videos.find(video.id) == ready)
            let failed = try await videos.recordProcessing(video.id, ProcessingUpdate(state: .failed("no picture")), at: Self.at(3))
            #expect(failed?.processing == .failed("no picture") && failed?.media == media)
            #expect(try await videos.recordProcessing(VideoID(), ProcessingUpdate(state: .ready), at: Self.at(3)) == nil)

            #expect(try await jobs.depth() == 1)
            _ = try await videos.delete(video.id)
            #expect(try await jobs.depth() == 0, "the job goes with its video")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func completingAJobQueuesWhatFollowsItAndAFollowUpThatFailedIsQueuedAfresh(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let (videos, jobs) = (repositories.videos, repositories.mediaJobs)
            let video = Self.processingVideo()
            try await videos.insert(video)
            let prepare = try #require(try await jobs.claim(by: "w", now: Self.at(0), until: Self.at(30)))
            #expect(try await jobs.pending(for: video.id) == [.prepare])
            try await jobs.complete(prepare, by: "w", queueing: [.previews, .ladder], at: Self.at(1))
            #expect(try await jobs.depth() == 2)
            #expect(try await jobs.pending(for: video.id) == [.ladder, .previews])
            var claimed: [MediaJobKind] = []
            while let job = try await jobs.claim(by: "w", now: Self.at(2), until: Self.at(32)) { claimed.append(job.kind) }
            #expect(Set(claimed) == [.previews, .ladder])
            let ladder = MediaJob(videoID: video.id, kind: .ladder, attempts: 1)
            try await jobs.fail(ladder, by: "w", error: "ffmpeg ran out of time", retryAt: nil)
            #expect(try await jobs.pending(for: video.id) == [.previews], "one failed for good is not pending")
            try await jobs.complete(MediaJob(videoID: video.id, kind: .previews, attempts: 1), by: "w", queueing: [], at: Self.at(3))
            #expect(try await jobs.depth() == 0)

            // The owner retries the video: its prepare job runs again and queues the ladder afresh.
            try await jobs.retry(video.id, at: Self.at(10))
            let again = try #require(try await jobs.claim(by: "w", now: Self.at(10), until: Self.at(40)))
            #expect(again.kind == .prepare)
            try await jobs.complete(again, by: "w", queueing: [.ladder], at: Self.at(11))
            let fresh = try #require(try await jobs.claim(by: "w", now: Self.at(11), until: Self.at(41)))
            #expect(fresh == MediaJob(videoID: video.id, kind: .ladder, attempts: 1), "fresh attempts, no old error")
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func theLadderAndTheOtherRenditionsEachReplaceOnlyTheirOwnKind(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let videos = repositories.videos
            let video = Self.processingVideo()
            try await videos.insert(video)
            func rendition(_ name: String, adaptive: Bool) -> Rendition {
                Rendition(
                    name: name, storageKey: "videos/x/\(name).mp4", contentType: "video/mp4", sizeBytes: 10, sha256: name,
                    playlistKey: adaptive ? "videos/x/\(name).m3u8" : nil, codecs: adaptive ? "avc1.64001e,mp4a.40.2" : nil,
                    peakBitRate: adaptive ? 900_000 : nil, averageBitRate: adaptive ? 700_000 : nil)
            }
            let playable = rendition(Rendition.playable, adaptive: false)
            let ladder = [rendition("360p", adaptive: true), rendition("720p", adaptive: true)]
            _ = try await videos.recordProcessing(video.id, ProcessingUpdate(state: .ready, renditions: [playable]), at: Self.at(1))
            let laddered = try #require(try await videos.recordProcessing(video.id, ProcessingUpdate(state: nil, ladder: ladder), at: Self.at(2)))
            #expect(laddered.processing == .ready, "work after ready leaves the state")
            #expect(laddered.renditions == [playable] + ladder)
            #expect(try await videos.find(video.id)?.renditions == [playable] + ladder, "the ladder's fields are stored")
            let preparedAgain = try await videos.recordProcessing(video.id, ProcessingUpdate(state: .ready, renditions: []), at: Self.at(3))
            #expect(preparedAgain?.renditions == ladder)
            let withoutLadder = try await videos.recordProcessing(video.id, ProcessingUpdate(state: nil, ladder: []), at: Self.at(4))
            #expect(withoutLadder?.renditions == [])
        }
    }

    @Test(arguments: TestDatabase.allCases)
    func captionsAreSearchedAndTheirMomentsFoundReplacedAndRemovedWithThem(database: TestDatabase) async throws {
        try await database.withRepositories { repositories in
            let videos = repositories.videos
            let talk = VideoRepositoryTests.video("Quarterly review", at: 1_000)
            let other = VideoRepositoryTests.video("Harbour walk", at: 1_001)
            try await videos.insert(talk)
            try await videos.insert(other)
            let english = CaptionTrack(language: "en", label: "English", storageKey: "videos/t/captions/en.vtt", cueCount: 5)
            let cues = [
                CaptionCue(startMilliseconds: 0, text: "Welcome, everyone"), CaptionCue(startMilliseconds: 4_000, text: "Revenue grew"),
                CaptionCue(startMilliseconds: 9_500, text: "revenue in Europe"), CaptionCue(startMilliseconds: 12_000, text: "and revenues elsewhere"),
                CaptionCue(startMilliseconds: 20_000, text: "Questions? ' OR 1=1 --"),
            ]
            #expect(try await videos.putCaption(talk.id, english, cues: cues)?.captions == [english])
            let found = try await videos.list(query: "revenue", visibility: .everything, offset: 0, limit: 10)
            #expect(found.items.map(\.id) == [talk.id], "a word only spoken is found")
            let moments = try await videos.captionMatches("revenue", in: [talk.id, other.id], perVideo: 2)
            #expect(moments == [
                CaptionMatch(videoID: talk.id, language: "en", startMilliseconds: 4_000, text: "Revenue grew"),
                CaptionMatch(videoID: talk.id, language: "en", startMilliseconds: 9_500, text: "revenue in Europe"),
            ], "the first moments, in time order, by word prefix")
            #expect(try await videos.captionMatches("' OR 1=1 --", in: [talk.id], perVideo: 3).map(\.startMilliseconds) == [20_000])
            #expect(try await videos.captionMatches("revenue", in: [], perVideo: 3) == [])

            // Uploading the language again replaces its cues; another language adds its own.
            _ = try await videos.putCaption(talk.id, english, cues: [CaptionCue(startMilliseconds: 1_000, text: "Profit fell")])
            #expect(try await videos.list(query: "revenue", visibility: .everything, offset: 0, limit: 10).items.isEmpty)
            let german = CaptionTrack(language: "de", label: "Deutsch", storageKey: "videos/t/captions/de.vtt", cueCount: 1)
            _ = try await videos.putCaption(talk.id, german, cues: [CaptionCue(startMilliseconds: 1_000, text: "Gewinn fiel")])
            #expect(try await videos.captionMatches("gewinn profit", in: [talk.id], perVideo: 3) == [], "all words in one cue")
            #expect(try await videos.captionMatches("profit", in: [talk.id], perVideo: 3).map(\.language) == ["en"])
            _ = try await videos.removeCaption(talk.id, language: "en")
            #expect(try await videos.list(query: "profit", visibility: .everything, offset: 0, limit: 10).items.isEmpty)
            #expect(try await videos.list(query: "gewinn", visibility: .everything, offset: 0, limit: 10).items.map(\.id) == [talk.id])
            _ = try await videos.delete(talk.id)
            #expect(try await videos.list(query: "gewinn", visibility: .everything, offset: 0, limit: 10).items.isEmpty, "the cues go with the video")
        }
    }
}
