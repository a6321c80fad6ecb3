import Foundation
import HubCore

/// The optional media tools: probing, thumbnails and faststart remuxing. Behind a protocol so the
/// hub runs (without those extras) where ffmpeg is not installed, and tests can choose.
public protocol MediaProcessor: Sendable {
    /// Duration, resolution and codecs, or an empty `MediaInfo` when the file cannot be probed.
    func probe(_ path: String) async -> MediaInfo
    /// Writes a JPEG thumbnail of the frame at `seconds` to `output`; false when none was made.
    func thumbnail(of path: String, atSeconds seconds: Double, to output: String) async -> Bool
    /// Copies `input` to `output` with the index moved to the front, without re-encoding.
    func remuxFaststart(_ input: String, to output: String) async -> Bool
    /// Writes a browser-safe MP4 of `input`'s first video and audio streams to `output` (each
    /// copied or encoded to H.264/AAC as `video` and `audio` say), within `timeLimit`.
    func makePlayable(
        _ input: String, to output: String, video: BrowserPlayability.Step, audio: BrowserPlayability.Step?, timeLimit: Duration
    ) async -> Bool
    /// Writes seek preview sheets of `input` into `directory` (`sheet-001.jpg`…): a frame every
    /// `interval` seconds, scaled to `width`×`height`, tiled `columns`×`rows`; the sheets' paths in
    /// order, or nil when none were made.
    func previewSheets(
        of input: String, into directory: String, interval: Double, width: Int, height: Int, columns: Int, rows: Int, timeLimit: Duration
    ) async -> [String]?
    /// Encodes `input` into every rung at once (one decode, an encoder per rung), each with
    /// keyframes every `AdaptiveLadder.segmentSeconds`: for a rung named `720p`, the fragmented
    /// MP4 `directory/720p.mp4`, its HLS media playlist `720p.m3u8`, and `720p-master.m3u8`,
    /// a master playlist naming its codecs and resolution.
    func encodeLadder(_ input: String, rungs: [LadderRung], withAudio: Bool, into directory: String, timeLimit: Duration) async -> Bool
}

/// Used when ffmpeg/ffprobe are not installed: videos still upload and stream.
public struct NoMediaProcessor: MediaProcessor {
    public init() {}
    public func probe(_ path: String) async -> MediaInfo { MediaInfo() }
    public func thumbnail(of path: String, atSeconds seconds: Double, to output: String) async -> Bool { false }
    public func remuxFaststart(_ input: String, to output: String) async -> Bool { false }
    public func makePlayable(
        _ input: String, to output: String, video: BrowserPlayability.Step, audio: BrowserPlayability.Step?, timeLimit: Duration
    ) async -> Bool { false }
    public func previewSheets(
        of input: String, into directory: String, interval: Double, width: Int, height: Int, columns: Int, rows: Int, timeLimit: Duration
    ) async -> [String]? { nil }
    public func encodeLadder(_ input: String, rungs: [LadderRung], withAudio: Bool, into directory: String, timeLimit: Duration) async -> Bool {
        false
    }
}

/// Finds the tools a hub can use on this machine.
public enum MediaTools {
    /// `FFmpegMediaProcessor` when both ffmpeg and ffprobe are on `PATH`, else `NoMediaProcessor`.
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) -> any MediaProcessor {
        guard let ffprobe = executable(named: "ffprobe", environment: environment),
            let ffmpeg = executable(named: "ffmpeg", environment: environment)
        else { return NoMediaProcessor() }
        return FFmpegMediaProcessor(ffprobePath: ffprobe, ffmpegPath: ffmpeg)
    }

    static func executable(named name: String, environment: [String: String]) -> String? {
        let directories = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
