import Foundation
import HubCore
import Subprocess
import SystemPackage

/// `MediaProcessor` on Debian's ffprobe and ffmpeg, run as subprocesses with a time limit each
/// so a hostile file cannot hold an upload's finalisation forever.
public struct FFmpegMediaProcessor: MediaProcessor {
    let ffprobePath: String
    let ffmpegPath: String
    let timeLimit: Duration

    public init(ffprobePath: String, ffmpegPath: String, timeLimit: Duration = .seconds(120)) {
        self.ffprobePath = ffprobePath
        self.ffmpegPath = ffmpegPath
        self.timeLimit = timeLimit
    }

    public func probe(_ path: String) async -> MediaInfo {
        let arguments = ["-v", "error", "-show_format", "-show_streams", "-print_format", "json", "--", path]
        guard let output = await runTool(ffprobePath, arguments, captureOutput: true) else { return MediaInfo() }
        return Self.mediaInfo(fromReport: Data(output.utf8))
    }

    /// What ffprobe's JSON report says, with every number bounded: the file is the uploader's,
    /// and its header may claim any duration ("nan", "1e300") or size, which the jobs then do
    /// arithmetic with (preview counts, time limits, tile sizes). A value out of range is unknown.
    public static func mediaInfo(fromReport json: Data) -> MediaInfo {
        guard let report = try? JSONDecoder().decode(ProbeReport.self, from: json) else { return MediaInfo() }
        let video = report.streams?.first { $0.codec_type == "video" }
        let audio = report.streams?.first { $0.codec_type == "audio" }
        let duration = report.format?.duration.flatMap(Double.init).flatMap { $0.isFinite && (0...Self.longestDuration).contains($0) ? $0 : nil }
        let dimension = { (value: Int?) in value.flatMap { (1...Self.largestDimension).contains($0) ? $0 : nil } }
        return MediaInfo(
            durationSeconds: duration, width: dimension(video?.width), height: dimension(video?.height),
            videoCodec: video?.codec_name, audioCodec: audio?.codec_name)
    }

    /// A year of video, and a side of 64K pixels (beyond 16K video, and beyond what H.264 encodes).
    static let longestDuration: Double = 366 * 86_400
    static let largestDimension = 65_536

    public func thumbnail(of path: String, atSeconds seconds: Double, to output: String) async -> Bool {
        let arguments = [
            "-nostdin", "-v", "error", "-y", "-ss", String(format: "%.3f", seconds), "-i", path,
            "-frames:v", "1", "-vf", "scale=320:-2", "-q:v", "3", "-f", "image2", output,
        ]
        return await runTool(ffmpegPath, arguments, captureOutput: false) != nil && FileManager.default.fileExists(atPath: output)
    }

    public func remuxFaststart(_ input: String, to output: String) async -> Bool {
        let arguments = [
            "-nostdin", "-v", "error", "-y", "-i", input, "-map", "0", "-c", "copy",
            "-movflags", "+faststart", "-f", "mp4", output,
        ]
        return await runTool(ffmpegPath, arguments, captureOutput: false) != nil
    }

    public func makePlayable(
        _ input: String, to output: String, video: BrowserPlayability.Step, audio: BrowserPlayability.Step?, timeLimit: Duration
    ) async -> Bool {
        var arguments = ["-nostdin", "-v", "error", "-y", "-i", input, "-map", "0:v:0"]
        if audio != nil { arguments += ["-map", "0:a:0"] }
        switch video {
        case .copy:
            arguments += ["-c:v", "copy"]
        case .encode:
            // 4:2:0 and even dimensions, which every browser's H.264 decoder takes (a 10-bit or
            // 4:2:2 source would otherwise stay so); CRF 23 at `veryfast` is libx264's usual
            // balance of size and speed.
            arguments += [
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
                "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2",
            ]
        }
        switch audio {
        case .copy: arguments += ["-c:a", "copy"]
        case .encode: arguments += ["-c:a", "aac", "-b:a", "160k", "-ac", "2"]
        case nil: break
        }
        arguments += ["-movflags", "+faststart", "-f", "mp4", output]
        return await runTool(ffmpegPath, arguments, captureOutput: false, limit: timeLimit) != nil
    }

    public func previewSheets(
        of input: String, into directory: String, interval: Double, width: Int, height: Int, columns: Int, rows: Int, timeLimit: Duration
    ) async -> [String]? {
        // The first frame of each interval: frame n lands in tile n, as the WebVTT track says,
        // and a clip shorter than one interval still gets its first frame (`fps=1/interval`
        // makes none for it). Every frame is decoded, since keyframes may be far apart, but
        // skipping the audio and scaling only the chosen frames keeps it to one pass.
        let every = String(format: "%.3f", interval)
        let filter = "select=isnan(prev_selected_t)+gt(floor(t/\(every))\\,floor(prev_selected_t/\(every))),scale=\(width):\(height),tile=\(columns)x\(rows)"
        let arguments = [
            "-nostdin", "-v", "error", "-y", "-i", input, "-an", "-sn", "-vf", filter, "-fps_mode", "vfr", "-q:v", "5", "-f", "image2",
            "\(directory)/sheet-%03d.jpg",
        ]
        guard await runTool(ffmpegPath, arguments, captureOutput: false, limit: timeLimit) != nil else { return nil }
        let sheets = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("sheet-") && $0.hasSuffix(".jpg") }.sorted().map { "\(directory)/\($0)" }
        return sheets.isEmpty ? nil : sheets
    }

    public func encodeLadder(_ input: String, rungs: [LadderRung], withAudio: Bool, into directory: String, timeLimit: Duration) async -> Bool {
        guard !rungs.isEmpty else { return false }
        // One decode split to a scaler per rung. The shorter side gets the rung's size and the
        // longer one follows the frame's shape, even; the source's rotation is applied first.
        let labels = rungs.indices.map { "[s\($0)]" }.joined()
        var graph = "[0:v:0]split=\(rungs.count)\(labels)"
        for (index, rung) in rungs.enumerated() {
            let side = rung.shortSide
            graph += ";[s\(index)]scale='if(gte(iw,ih),-2,\(side))':'if(gte(iw,ih),\(side),-2)',format=yuv420p[v\(index)]"
        }
        var arguments = ["-nostdin", "-v", "error", "-y", "-i", input, "-filter_complex", graph]
        let segment = AdaptiveLadder.segmentSeconds
        for (index, rung) in rungs.enumerated() {
            arguments += ["-map", "[v\(index)]"]
            if withAudio { arguments += ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k", "-ac", "2"] }
            arguments += [
                // Constant quality under a cap: CRF 23 spends what a picture needs, `maxrate`
                // keeps a rung within the bandwidth it is chosen for. A keyframe at every
                // segment boundary and nowhere else lines the rungs up for switching.
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-maxrate", "\(rung.maxBitRate)", "-bufsize", "\(rung.maxBitRate * 2)",
                "-force_key_frames", "expr:gte(t,n_forced*\(segment))", "-sc_threshold", "0",
                "-f", "hls", "-hls_time", "\(segment)", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_flags", "single_file",
                "-hls_segment_filename", "\(directory)/\(rung.name).mp4", "-master_pl_name", "\(rung.name)-master.m3u8",
                "\(directory)/\(rung.name).m3u8",
            ]
        }
        return await runTool(ffmpegPath, arguments, captureOutput: false, limit: timeLimit) != nil
    }

    /// Runs a tool; its standard output when it succeeded within `limit` (the processor's own
    /// by default), nil otherwise. A tool past its limit is killed with the task that ran it.
    private func runTool(_ executable: String, _ arguments: [String], captureOutput: Bool, limit: Duration? = nil) async -> String? {
        let limit = limit ?? timeLimit
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    let result = try await run(
                        .path(FilePath(executable)), arguments: Arguments(arguments),
                        output: .string(limit: 4 << 20), error: .discarded)
                    guard result.terminationStatus.isSuccess else { return nil }
                    return captureOutput ? result.standardOutput : ""
                } catch {
                    return nil
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

/// The parts of ffprobe's JSON report the hub uses.
private struct ProbeReport: Decodable {
    struct Format: Decodable { var duration: String? }
    struct Stream: Decodable {
        var codec_type: String?
        var codec_name: String?
        var width: Int?
        var height: Int?
    }
    var format: Format?
    var streams: [Stream]?
}
