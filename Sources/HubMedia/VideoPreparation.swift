import Foundation
import HubCore
import HubSystem
import Logging
import NIOCore

/// The processing jobs' work. `prepare` turns stored upload bytes into a ready video: it reads
/// the stored bytes into a scratch file (the store may be S3, and ffmpeg needs a file), moves an
/// MP4's index to the front when it sits at the end (so a browser starts playing before the
/// whole file has come), probes the file, makes its thumbnail, and for a source browsers cannot
/// play makes a browser-safe rendition (`BrowserPlayability`); the original is kept as it came.
/// What a viewer need not wait for runs after it as jobs of their own: seek previews
/// (`previews`) and the adaptive ladder (`ladder`).
///
/// Every step can run again: a job interrupted anywhere is simply run once more.
public struct VideoPreparation: Sendable {
    let store: any ObjectStore
    let media: any MediaProcessor
    /// File helpers (copy with digest, digest, remove); the files themselves are in `scratch`.
    let staging: UploadStaging
    let scratch: ScratchSpace
    /// Seconds between seek preview frames (`PREVIEW_INTERVAL_SECONDS`).
    let previewInterval: Int
    /// The adaptive ladder's sizes (`TRANSCODE_RESOLUTIONS`).
    let resolutions: [Int]
    let logger: Logger

    public init(
        store: any ObjectStore, media: any MediaProcessor, staging: UploadStaging, scratch: ScratchSpace, previewInterval: Int = 10,
        resolutions: [Int] = HubConfiguration.defaultTranscodeResolutions, logger: Logger
    ) {
        self.previewInterval = previewInterval
        self.resolutions = resolutions
        self.scratch = scratch
        self.store = store
        self.media = media
        self.staging = staging
        self.logger = logger
    }

    /// A reason the job cannot succeed however often it is tried: the owner is told it.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Prepares `video`, reporting progress (0...1) on the way; the outcome to record.
    public func prepare(_ video: Video, progress: @Sendable (Double) async -> Void) async throws -> ProcessingUpdate {
        try await withSourceCopy(of: video, needing: ScratchSpace.estimate(forSourceOf: video.sizeBytes)) { room, source, stored in
            try await prepare(video, from: source, stored: stored, in: room, progress: progress)
        }
    }

    /// The jobs to queue once `prepare` has made `update`: for a video with a picture and a
    /// length, its seek previews and, when the sizes give more than one rung, its ladder.
    public func followUps(after update: ProcessingUpdate) -> [MediaJobKind] {
        guard update.state?.status == .ready, let media = update.media, media.videoCodec != nil,
            let duration = media.durationSeconds, duration > 0
        else { return [] }
        return [.previews] + (AdaptiveLadder.rungs(for: media, resolutions: resolutions).isEmpty ? [] : [.ladder])
    }

    /// Runs `body` on a copy of the video's stored bytes in a scratch directory of its own
    /// (`needing` bytes reserved), removed when it ends however it ends.
    private func withSourceCopy<Result: Sendable>(
        of video: Video, needing bytes: Int64,
        _ body: (ScratchSpace.Reservation, String, ContentDigest) async throws -> Result
    ) async throws -> Result {
        let room = try await scratch.reserve(bytes, for: "\(video.id.rawValue)-\(UUID().uuidString.prefix(8).lowercased())")
        do {
            let source = room.path("source")
            let stored = try await staging.download(try await store.read(ObjectKey(video.storageKey), range: nil), to: source)
            let result = try await body(room, source, stored)
            await scratch.release(room)
            return result
        } catch {
            await scratch.release(room)
            throw error
        }
    }

    /// Makes `video`'s seek previews (the `previews` job).
    public func previews(of video: Video) async throws -> ProcessingUpdate {
        // The source's copy and a few sheets of JPEG; saturating, as every reservation is.
        let needed = video.sizeBytes.addingReportingOverflow(1 << 24)
        return try await withSourceCopy(of: video, needing: needed.overflow ? .max : needed.partialValue) { room, source, _ in
            ProcessingUpdate(state: nil, previews: try await seekPreviews(of: video, from: source, in: room, media: video.media))
        }
    }

    /// Encodes `video`'s adaptive ladder (the `ladder` job) and stores each rung's fragmented
    /// MP4 and media playlist; an empty ladder when its size gives fewer than two rungs.
    public func ladder(of video: Video) async throws -> ProcessingUpdate {
        let rungs = AdaptiveLadder.rungs(for: video.media, resolutions: resolutions)
        guard !rungs.isEmpty else { return ProcessingUpdate(state: nil, ladder: []) }
        // Counting at most a day of video, as the time limit does: the source's copy, and every
        // rung at its bit rate cap.
        let seconds = min(max(video.media.durationSeconds ?? 0, 0), 86_400)
        let capped = rungs.reduce(0) { $0 + Double($1.maxBitRate + 128_000) } * seconds.rounded(.up) / 8
        let needed = video.sizeBytes.addingReportingOverflow(Int64(capped) + (1 << 20))
        return try await withSourceCopy(of: video, needing: needed.overflow ? .max : needed.partialValue) { room, source, _ in
            let directory = room.path("ladder")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let started = ContinuousClock.now
            // Several encoders at once run at a few times real time on a small server; the limit
            // only stops a file that makes ffmpeg hang.
            guard await media.encodeLadder(
                source, rungs: rungs, withAudio: video.media.audioCodec != nil, into: directory, timeLimit: .seconds(120 + Int(seconds * 16)))
            else {
                throw ConversionFailed(description: "ffmpeg could not encode the adaptive renditions (\(rungs.map(\.name).joined(separator: ", ")))")
            }
            logger.info(
                "made the adaptive renditions",
                metadata: [
                    "video.id": "\(video.id)", "rungs": "\(rungs.map(\.name).joined(separator: ","))",
                    "seconds": "\(String(format: "%.2f", (ContinuousClock.now - started).seconds))",
                ])
            var ladder: [Rendition] = []
            do {
                for rung in rungs { ladder.append(try await storeRung(rung, of: video, from: directory)) }
            } catch {
                for key in ladder.flatMap(\.objectKeys) { try? await store.delete(ObjectKey(key)) }
                throw error
            }
            return ProcessingUpdate(state: nil, ladder: ladder)
        }
    }

    /// Stores one rung ffmpeg wrote into `directory`: its media, and its playlist as the hub
    /// serves it, whose segments name the rendition's URL relative to the playlist's
    /// (`/api/v1/videos/{id}/hls/720p.m3u8` → `../renditions/720p`).
    private func storeRung(_ rung: LadderRung, of video: Video, from directory: String) async throws -> Rendition {
        let mediaPath = "\(directory)/\(rung.name).mp4"
        let digest = try await staging.digest(of: mediaPath)
        let playlist: HLSMediaPlaylist
        let variant: [String: String]
        do {
            playlist = try HLSMediaPlaylist(parsing: try String(contentsOfFile: "\(directory)/\(rung.name).m3u8", encoding: .utf8), fileSize: digest.size)
            variant = HLSAttributes.firstVariant(in: try String(contentsOfFile: "\(directory)/\(rung.name)-master.m3u8", encoding: .utf8)) ?? [:]
        } catch {
            throw ConversionFailed(description: "ffmpeg's playlist of the \(rung.name) rendition is unusable: \(error)")
        }
        let size = variant["RESOLUTION"].map { $0.split(separator: "x").compactMap { Int($0) } }
        let mediaKey = try ObjectKey("videos/\(video.id.rawValue)/ladder/\(rung.name).mp4")
        let playlistKey = try ObjectKey("videos/\(video.id.rawValue)/ladder/\(rung.name).m3u8")
        _ = try await store.put(mediaKey, movingFileAt: mediaPath, contentType: "video/mp4")
        _ = try await store.put(playlistKey, bytes: ByteBuffer(string: playlist.rendered(uri: "../renditions/\(rung.name)")), contentType: HLSMediaPlaylist.contentType)
        return Rendition(
            name: rung.name, storageKey: mediaKey.rawValue, contentType: "video/mp4", sizeBytes: digest.size, sha256: digest.sha256,
            width: size?.count == 2 ? size?[0] : nil, height: size?.count == 2 ? size?[1] : nil, videoCodec: "h264",
            audioCodec: video.media.audioCodec == nil ? nil : "aac", playlistKey: playlistKey.rawValue, codecs: variant["CODECS"],
            peakBitRate: playlist.peakBitRate, averageBitRate: playlist.averageBitRate)
    }

    private func prepare(
        _ video: Video, from scratch: String, stored: ContentDigest, in room: ScratchSpace.Reservation, progress: @Sendable (Double) async -> Void
    ) async throws -> ProcessingUpdate {
        let sourceKey = try ObjectKey(video.storageKey)
        await progress(0.4)
        // Bytes that differ from the row's digest were rewritten by an earlier attempt that
        // stopped before recording them (its manifest went in first).
        var content: (sha256: String, sizeBytes: Int64)?
        if stored.sha256 != video.sha256 || stored.size != video.sizeBytes { content = (stored.sha256, stored.size) }
        // Only an MP4 is played from its original; a QuickTime file gets a playable rendition
        // (Firefox refuses the type), so it is kept exactly as it came.
        if video.contentType == "video/mp4", let faststart = await moveIndexToFront(scratch, to: room.path("faststart.mp4")) {
            do {
                let digest = try await staging.digest(of: faststart)
                // The manifest first: a reader that finds the new bytes finds their blocks too.
                _ = try await store.put(VideoIngestor.manifestKey(of: video.id), bytes: digest.manifest.encoded(), contentType: nil)
                _ = try await store.put(sourceKey, movingFileAt: faststart, contentType: video.contentType)
                content = (digest.sha256, digest.size)
            } catch {
                await staging.remove(faststart)
                throw error
            }
        }
        await progress(0.7)
        // The scratch copy has the same streams as the faststart one: probe it.
        let thumbnailPath = room.path("thumbnail.jpg")
        let (info, madeThumbnail) = await probeAndThumbnail(scratch, thumbnailPath: thumbnailPath)
        if info.videoCodec == nil, let audio = info.audioCodec {
            await staging.remove(thumbnailPath)
            throw Refusal(reason: "the file holds sound only (\(audio)): there is no picture to play")
        }
        var thumbnailKey: String?
        if madeThumbnail {
            let key = try ObjectKey("videos/\(video.id.rawValue)/thumbnail.jpg")
            _ = try await store.put(key, movingFileAt: thumbnailPath, contentType: "image/jpeg")
            thumbnailKey = key.rawValue
        } else {
            await staging.remove(thumbnailPath)
        }
        var renditions: [Rendition] = []
        if case .convert(let videoStep, let audioStep) = BrowserPlayability.plan(contentType: video.contentType, media: info) {
            await progress(0.8)
            renditions.append(
                try await playableRendition(of: video, from: scratch, to: room.path("playable.mp4"), media: info, video: videoStep, audio: audioStep))
        }
        return ProcessingUpdate(
            state: .ready, media: info, thumbnailKey: thumbnailKey, content: content, renditions: renditions)
    }

    /// Preview sheets of a video with a picture and a duration, stored as objects; nil without
    /// ffmpeg, or when ffmpeg made none (the player then simply shows no previews).
    private func seekPreviews(of video: Video, from scratch: String, in room: ScratchSpace.Reservation, media info: MediaInfo) async throws -> SeekPreviews? {
        guard let duration = info.durationSeconds, duration > 0, duration.isFinite, let width = info.width, let height = info.height,
            width > 0, height > 0
        else { return nil }
        // At most 1,000 frames (ten sheets), however long the video: a longer one gets a longer interval.
        let interval = max(Double(previewInterval), duration / 1_000)
        let count = max(1, Int((duration / interval).rounded(.up)))
        let tileWidth = 160
        // Width and height are the probe's, bounded to 1...65,536, so the ratio is finite; a
        // frame taller than 4:1 gets a squashed tile rather than a sheet of gigapixels.
        let tileHeight = min(640, max(2, Int((Double(tileWidth) * Double(height) / Double(width) / 2).rounded()) * 2))
        let columns = min(10, count)
        let rows = min(10, (count + columns - 1) / columns)
        let directory = room.path("previews")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let sheets = await media.previewSheets(
            of: scratch, into: directory, interval: interval, width: tileWidth, height: tileHeight, columns: columns, rows: rows,
            timeLimit: .seconds(120 + Int(min(duration, 86_400) * 2)))
        else {
            logger.warning("ffmpeg made no seek previews", metadata: ["video.id": "\(video.id)"])
            return nil
        }
        var keys: [String] = []
        for (index, sheet) in sheets.enumerated() {
            let key = try ObjectKey("videos/\(video.id.rawValue)/previews/\(index + 1).jpg")
            _ = try await store.put(key, movingFileAt: sheet, contentType: "image/jpeg")
            keys.append(key.rawValue)
        }
        return SeekPreviews(
            interval: interval, count: min(count, sheets.count * columns * rows), width: tileWidth, height: tileHeight, columns: columns,
            rows: rows, sheetKeys: keys)
    }

    /// A conversion that did not finish (ffmpeg failed or ran out of time): tried again.
    public struct ConversionFailed: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Converts the scratch copy into the browser-safe MP4 and stores it beside the original.
    private func playableRendition(
        of video: Video, from scratch: String, to output: String, media info: MediaInfo, video videoStep: BrowserPlayability.Step,
        audio audioStep: BrowserPlayability.Step?
    ) async throws -> Rendition {
        // Encoding runs at a few times real time on a small server; copying at disk speed. The
        // limit only stops a file that makes ffmpeg hang, so it is generous: two minutes plus
        // eight times the duration, counting at most a day of video.
        let seconds = min(max(info.durationSeconds ?? 0, 0), 86_400)
        let limit = Duration.seconds(120 + Int(seconds * 8))
        do {
            let started = ContinuousClock.now
            guard await media.makePlayable(scratch, to: output, video: videoStep, audio: audioStep, timeLimit: limit) else {
                throw ConversionFailed(description: "ffmpeg could not make a browser-playable copy of \(info.videoCodec ?? "the video") in \(video.contentType)")
            }
            let took = ContinuousClock.now - started
            logger.info(
                "made a playable rendition",
                metadata: [
                    "video.id": "\(video.id)", "seconds": "\(String(format: "%.2f", took.seconds))",
                    "video": "\(videoStep == .copy ? "copied" : "encoded")", "audio": "\(audioStep.map { $0 == .copy ? "copied" : "encoded" } ?? "none")",
                ])
            let digest = try await staging.digest(of: output)
            let key = try ObjectKey("videos/\(video.id.rawValue)/\(Rendition.playable).mp4")
            _ = try await store.put(key, movingFileAt: output, contentType: "video/mp4")
            let evenWidth = info.width.map { $0 / 2 * 2 }, evenHeight = info.height.map { $0 / 2 * 2 }
            return Rendition(
                name: Rendition.playable, storageKey: key.rawValue, contentType: "video/mp4", sizeBytes: digest.size, sha256: digest.sha256,
                width: videoStep == .copy ? info.width : evenWidth, height: videoStep == .copy ? info.height : evenHeight,
                videoCodec: "h264", audioCodec: audioStep.map { $0 == .copy ? info.audioCodec ?? "aac" : "aac" })
        } catch {
            await staging.remove(output)
            throw error
        }
    }

    /// Probing and the thumbnail run side by side, both ffmpeg processes. The thumbnail is taken
    /// at 2 s, or at the middle of a clip too short for that.
    private func probeAndThumbnail(_ path: String, thumbnailPath: String) async -> (MediaInfo, Bool) {
        async let probed = media.probe(path)
        async let thumbnail = media.thumbnail(of: path, atSeconds: 2, to: thumbnailPath)
        let info = await probed
        if await thumbnail { return (info, true) }
        guard let duration = info.durationSeconds, duration > 0, duration <= 2 else { return (info, false) }
        return (info, await media.thumbnail(of: path, atSeconds: duration / 2, to: thumbnailPath))
    }

    /// A faststart copy of an MP4 whose index sits after its media data, or nil when the file
    /// needs none or ffmpeg is not available.
    private func moveIndexToFront(_ path: String, to output: String) async -> String? {
        guard (try? MP4Layout.indexIsAtEnd(of: PosixFile(path: path, mode: .read))) == true else { return nil }
        if await media.remuxFaststart(path, to: output) {
            logger.info("moved MP4 index to the front (faststart)")
            return output
        }
        await staging.remove(output)
        return nil
    }
}
