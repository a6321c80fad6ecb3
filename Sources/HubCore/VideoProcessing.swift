import Foundation

/// Where a video is in its processing: stored bytes become a video at once (`processing`), and
/// the work that reads them — probing, the thumbnail, moving an MP4's index to the front — runs
/// afterwards as a job, which ends `ready` or `failed`.
public enum VideoStatus: String, Sendable, Codable, CaseIterable {
    case processing
    case ready
    case failed
}

/// A video's status with what a viewer is told about it.
public struct ProcessingState: Sendable, Equatable {
    public var status: VideoStatus
    /// How far the job has got, 0...1, while `processing`.
    public var progress: Double?
    /// Why processing failed, in words for the owner, when `failed`.
    public var failure: String?

    public init(status: VideoStatus, progress: Double? = nil, failure: String? = nil) {
        self.status = status
        self.progress = progress.map { min(max($0, 0), 1) }
        self.failure = failure
    }

    public static let ready = ProcessingState(status: .ready)
    public static func processing(_ progress: Double) -> ProcessingState { ProcessingState(status: .processing, progress: progress) }
    public static func failed(_ reason: String) -> ProcessingState { ProcessingState(status: .failed, failure: reason) }
}

/// A copy of a video made by processing, stored beside the original as an ordinary object: the
/// browser-safe one (`playable`: H.264/AAC in MP4) for a source browsers cannot play, and the
/// rungs of the adaptive ladder (`360p`, `720p`…), each one fragmented MP4 that an HLS media
/// playlist (its own object) addresses by byte range.
public struct Rendition: Sendable, Equatable, Codable {
    /// The rendition's name in its URL (`/api/v1/videos/{id}/renditions/{name}`).
    public var name: String
    public var storageKey: String
    public var contentType: String
    public var sizeBytes: Int64
    /// Lowercase hex SHA-256 of its bytes: its strong ETag.
    public var sha256: String
    public var width: Int?
    public var height: Int?
    public var videoCodec: String?
    public var audioCodec: String?
    /// An adaptive rung's HLS media playlist (stored text whose segments point at this rendition).
    public var playlistKey: String?
    /// An adaptive rung's RFC 6381 codecs (`avc1.64001f,mp4a.40.2`), which a player needs
    /// before it has fetched a byte of it.
    public var codecs: String?
    /// An adaptive rung's peak and average bit rates over its segments, in bits per second: the
    /// master playlist's `BANDWIDTH` and `AVERAGE-BANDWIDTH`.
    public var peakBitRate: Int?
    public var averageBitRate: Int?

    public init(
        name: String, storageKey: String, contentType: String, sizeBytes: Int64, sha256: String, width: Int? = nil, height: Int? = nil,
        videoCodec: String? = nil, audioCodec: String? = nil, playlistKey: String? = nil, codecs: String? = nil, peakBitRate: Int? = nil,
        averageBitRate: Int? = nil
    ) {
        self.playlistKey = playlistKey
        self.codecs = codecs
        self.peakBitRate = peakBitRate
        self.averageBitRate = averageBitRate
        self.name = name
        self.storageKey = storageKey
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.width = width
        self.height = height
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
    }

    /// The browser-safe rendition's name.
    public static let playable = "playable"

    /// Whether this is a rung of the adaptive ladder.
    public var isAdaptive: Bool { playlistKey != nil }

    /// The objects it is stored as.
    public var objectKeys: [String] { [storageKey] + (playlistKey.map { [$0] } ?? []) }
}

/// A captions track an owner attached: WebVTT stored as an object, one per language.
public struct CaptionTrack: Sendable, Equatable, Codable {
    /// A BCP 47 language tag (`en`, `pt-BR`), also its name in the URL.
    public var language: String
    /// What the player's menu shows ("English").
    public var label: String
    public var storageKey: String
    public var cueCount: Int

    public init(language: String, label: String, storageKey: String, cueCount: Int) {
        self.language = language
        self.label = label
        self.storageKey = storageKey
        self.cueCount = cueCount
    }

    /// Whether `tag` looks like a language tag: 2–3 letters, then subtags of 2–8 letters or
    /// digits, 35 characters at most. Safe in an object key and a URL as it is.
    public static func isLanguageTag(_ tag: String) -> Bool {
        let parts = tag.split(separator: "-", omittingEmptySubsequences: false)
        guard tag.count <= 35, let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return false
        }
        return parts.dropFirst().allSatisfy { (2...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }
}

/// One cue of a video's captions as search indexes it: when it starts and its words, markup
/// removed.
public struct CaptionCue: Sendable, Equatable {
    public var startMilliseconds: Int
    public var text: String

    public init(startMilliseconds: Int, text: String) {
        self.startMilliseconds = startMilliseconds
        self.text = text
    }
}

/// A cue whose words a search matched: the moment a video says them.
public struct CaptionMatch: Sendable, Equatable {
    public var videoID: VideoID
    public var language: String
    public var startMilliseconds: Int
    public var text: String

    public init(videoID: VideoID, language: String, startMilliseconds: Int, text: String) {
        self.videoID = videoID
        self.language = language
        self.startMilliseconds = startMilliseconds
        self.text = text
    }
}

/// Seek previews: frames taken every `interval` seconds, scaled to `width`×`height` and tiled
/// `columns`×`rows` to a sheet (JPEG objects, in order), which the player shows over its seek bar
/// and a WebVTT thumbnails track describes (`/api/v1/videos/{id}/previews.vtt`).
public struct SeekPreviews: Sendable, Equatable, Codable {
    public var interval: Double
    /// Frames in all; the last sheet may be partly empty.
    public var count: Int
    public var width: Int
    public var height: Int
    public var columns: Int
    public var rows: Int
    public var sheetKeys: [String]

    public init(interval: Double, count: Int, width: Int, height: Int, columns: Int, rows: Int, sheetKeys: [String]) {
        self.interval = interval
        self.count = count
        self.width = width
        self.height = height
        self.columns = columns
        self.rows = rows
        self.sheetKeys = sheetKeys
    }

    /// Frame `index`'s sheet and its place in it.
    public func tile(_ index: Int) -> (sheet: Int, x: Int, y: Int) {
        let perSheet = columns * rows
        let within = index % perSheet
        return (index / perSheet, (within % columns) * width, (within / columns) * height)
    }

    /// The WebVTT thumbnails track: one cue per frame, its time span pointing at its tile as a
    /// media fragment (`sheet.jpg#xywh=x,y,w,h`), the form players such as Video.js and JW Player
    /// read. `sheetURL` names sheet n.
    public func webVTT(duration: Double, sheetURL: (Int) -> String) -> String {
        var text = "WEBVTT\n"
        for index in 0..<count {
            let start = Double(index) * interval
            let end = min(Double(index + 1) * interval, max(duration, start + 0.001))
            let (sheet, x, y) = tile(index)
            text += "\n\(Self.timestamp(start)) --> \(Self.timestamp(end))\n\(sheetURL(sheet))#xywh=\(x),\(y),\(width),\(height)\n"
        }
        return text
    }

    /// `hh:mm:ss.mmm`.
    static func timestamp(_ seconds: Double) -> String {
        // At most 99:59:59.999, the largest WebVTT players read everywhere; NaN is 0.
        let bounded = seconds.isNaN ? 0 : min(max(seconds, 0), 359_999.999)
        let milliseconds = Int((bounded * 1000).rounded())
        let (hours, rest) = milliseconds.quotientAndRemainder(dividingBy: 3_600_000)
        let (minutes, rest2) = rest.quotientAndRemainder(dividingBy: 60_000)
        let (secs, millis) = rest2.quotientAndRemainder(dividingBy: 1000)
        return String(format: "%02d:%02d:%02d.%03d", hours, minutes, secs, millis)
    }
}

/// What a processing job found out and changed about a video, recorded with its new state.
public struct ProcessingUpdate: Sendable, Equatable {
    /// The video's new state; nil leaves it (work after `ready`, which a viewer need not wait for).
    public var state: ProcessingState?
    /// The probe's findings, when the job probed.
    public var media: MediaInfo?
    /// The stored thumbnail, when the job made one.
    public var thumbnailKey: String?
    /// The stored bytes' new identity, when the job rewrote them (an MP4's index moved to the
    /// front): the stream's ETag and size follow.
    public var content: (sha256: String, sizeBytes: Int64)?
    /// The browser-safe renditions it made, replacing any held (the adaptive ones stay).
    public var renditions: [Rendition]?
    /// The adaptive ladder it made, replacing any held (the others stay).
    public var ladder: [Rendition]?
    /// The seek previews it made, replacing any held.
    public var previews: SeekPreviews?

    public init(
        state: ProcessingState?, media: MediaInfo? = nil, thumbnailKey: String? = nil, content: (sha256: String, sizeBytes: Int64)? = nil,
        renditions: [Rendition]? = nil, ladder: [Rendition]? = nil, previews: SeekPreviews? = nil
    ) {
        self.previews = previews
        self.ladder = ladder
        self.state = state
        self.renditions = renditions
        self.media = media
        self.thumbnailKey = thumbnailKey
        self.content = content
    }

    /// The objects it names (what goes when the video was deleted while its job ran).
    public var objectKeys: [String] {
        [thumbnailKey].compactMap { $0 } + (renditions ?? []).flatMap(\.objectKeys) + (ladder ?? []).flatMap(\.objectKeys)
            + (previews?.sheetKeys ?? [])
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.state == rhs.state && lhs.media == rhs.media && lhs.thumbnailKey == rhs.thumbnailKey && lhs.renditions == rhs.renditions
            && lhs.ladder == rhs.ladder && lhs.previews == rhs.previews
            && lhs.content?.sha256 == rhs.content?.sha256 && lhs.content?.sizeBytes == rhs.content?.sizeBytes
    }
}

extension Video {
    /// `update` applied: what every repository's `recordProcessing` stores.
    public mutating func apply(_ update: ProcessingUpdate, at date: Date) {
        if let state = update.state { processing = state }
        if let media = update.media { self.media = media }
        if let thumbnailKey = update.thumbnailKey { self.thumbnailKey = thumbnailKey }
        if let renditions = update.renditions { self.renditions = renditions.filter { !$0.isAdaptive } + self.renditions.filter(\.isAdaptive) }
        if let ladder = update.ladder { self.renditions = self.renditions.filter { !$0.isAdaptive } + ladder.filter(\.isAdaptive) }
        if let previews = update.previews { self.previews = previews }
        if let content = update.content {
            sha256 = content.sha256
            sizeBytes = content.sizeBytes
            updatedAt = date
        }
    }
}

/// A kind of work on a stored video. One job of each kind per video at most.
public enum MediaJobKind: String, Sendable, Codable, CaseIterable {
    /// Probe, thumbnail, faststart, a browser-safe rendition: what makes a stored upload a ready
    /// video. The others are queued when it has.
    case prepare
    /// Seek preview sheets.
    case previews
    /// The adaptive ladder (`TRANSCODE_RESOLUTIONS`).
    case ladder

    /// What the job makes, in words for the log.
    public var work: String {
        switch self {
        case .prepare: "video preparation"
        case .previews: "seek previews"
        case .ladder: "adaptive renditions"
        }
    }
}

/// A job as a worker holds it after claiming it.
public struct MediaJob: Sendable, Equatable {
    public var videoID: VideoID
    public var kind: MediaJobKind
    /// Claims so far, this one included: a job that kills its worker every time (a file that
    /// crashes ffmpeg's host, say) runs out of attempts instead of looping.
    public var attempts: Int
    /// Why the previous attempt failed, if one did.
    public var lastError: String?

    public init(videoID: VideoID, kind: MediaJobKind, attempts: Int, lastError: String? = nil) {
        self.videoID = videoID
        self.kind = kind
        self.attempts = attempts
        self.lastError = lastError
    }
}

/// The durable processing queue, in the hub's database beside the videos.
///
/// A job is claimed for a lease: its worker renews the lease while it runs, and a job whose
/// lease ran out (its worker's process died) is claimable again — by the restarted hub, or by
/// another instance on the same database, where claiming skips rows another transaction is
/// claiming (`FOR UPDATE SKIP LOCKED`) so each job runs once. A job is queued in the same
/// transaction as the video it works on (`VideoRepository.insert` of a processing video), so a
/// processing video always has its job.
public protocol MediaJobQueue: Sendable {
    /// The next job due at `now` whose lease is free, claimed by `worker` until `until`.
    func claim(by worker: String, now: Date, until: Date) async throws -> MediaJob?
    /// Extends `job`'s lease; false when `worker` no longer holds it (it ran out and was taken).
    func renew(_ job: MediaJob, by worker: String, until: Date) async throws -> Bool
    /// Removes a finished job and, in the same transaction, queues the jobs that follow it
    /// (fresh, or again if they had failed); nothing when `worker` no longer holds it.
    func complete(_ job: MediaJob, by worker: String, queueing next: [MediaJobKind], at now: Date) async throws
    /// Gives the job back to run again at `retryAt`, or, with nil, marks it failed for good.
    func fail(_ job: MediaJob, by worker: String, error: String, retryAt: Date?) async throws
    /// Queues `video`'s `prepare` job again with fresh attempts: its failed row reset, or a new
    /// one when there is none (a row lost, a video failed by hand); one queued or running is kept.
    /// The jobs that follow it are queued again when it completes.
    func retry(_ video: VideoID, at now: Date) async throws
    /// Frees every lease, for a hub that is the database's only process: restarting after a crash,
    /// it takes its jobs back at once instead of waiting for their leases to run out.
    func releaseEveryClaim() async throws
    /// Jobs waiting or running, for the operator.
    func depth() async throws -> Int
    /// The kinds of `video`'s jobs waiting or running (not those failed for good).
    func pending(for video: VideoID) async throws -> [MediaJobKind]
}

/// A processing request the video's state does not allow.
public enum ProcessingError: DomainError, Equatable {
    /// Only a failed video is retried: one processing or ready has nothing to retry.
    case notFailed(VideoStatus)

    public var code: String { "not_failed" }

    public var message: String {
        switch self {
        case .notFailed(let status): "the video is \(status.rawValue), not failed: there is nothing to retry"
        }
    }
}
