import ArgumentParser
import Foundation
import HubAPI
import HubClient
import NIOConcurrencyHelpers

/// `streamhub upload FILE`: a resumable upload with a progress bar. Interrupted (Ctrl-C, network
/// loss), the same command later resumes from the server's offset.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload", abstract: "Upload a video to a hub (resumable).")

    @Argument(help: "The video file.") var file: String
    @Option(help: "Title (defaults to the file name).") var title: String?
    @Option(help: "Description.") var description: String?
    @Option(help: "Comma-separated tags.") var tags: String?
    @OptionGroup var client: ClientOptions
    @Flag(help: "Share the video with everyone on the hub.") var shared = false
    @Flag(help: "Wait until the hub has processed the video; fail when its processing failed.") var wait = false

    func run() async throws {
        let url = try client.serverURL
        guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("cannot read \(file)") }
        var metadata = ["filename": (file as NSString).lastPathComponent]
        metadata["title"] = title
        metadata["description"] = description
        metadata["tags"] = tags
        if shared { metadata["shared"] = "true" }
        let token = try client.resolvedToken
        let tus = TusClient(server: url, resumeStore: .standard(), headers: ["Authorization": "Bearer \(token)"])
        let bar = ProgressBar()
        do {
            let videoID = try await tus.upload(path: (file as NSString).standardizingPath, metadata: metadata) { sent, total in
                bar.update(sent: sent, total: total)
            }
            bar.finish()
            print(videoID)
            if wait { try await waitUntilProcessed(videoID) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            bar.finish()
            FileHandle.standardError.write(Data("streamhub: upload failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Asks for the video every half second until it is ready (or failed, then says why).
    private func waitUntilProcessed(_ videoID: String) async throws {
        let api = try client.client()
        while true {
            let video = try await report { try await api.send(.GET, "api/v1/videos/\(videoID)", as: VideoResource.self) }
            switch video.status {
            case "processing":
                try await Task.sleep(for: .milliseconds(500))
            case "failed":
                FileHandle.standardError.write(Data("streamhub: processing failed: \(video.failure ?? "no reason given")\n".utf8))
                throw ExitCode.failure
            default:
                return
            }
        }
    }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar: Sendable {
    private struct State { var lastDraw = Date.distantPast; var started = Date(); var startBytes: Int64? }
    private let state = NIOLockedValueBox(State())
    private let interactive = isatty(STDERR_FILENO) == 1

    func update(sent: Int64, total: Int64) {
        state.withLockedValue { state in
            let now = Date()
            if state.startBytes == nil { state.startBytes = sent; state.started = now }
            guard sent == total || now.timeIntervalSince(state.lastDraw) >= (interactive ? 0.1 : 5) else { return }
            state.lastDraw = now
            let fraction = total == 0 ? 1 : Double(sent) / Double(total)
            let width = 30
            let filled = Int(fraction * Double(width))
            let elapsed = max(now.timeIntervalSince(state.started), 0.001)
            let rate = Double(sent - (state.startBytes ?? 0)) / elapsed / 1_048_576
            let line = String(format: "[%@%@] %5.1f%%  %.1f/%.1f MiB  %.1f MiB/s",
                String(repeating: "#", count: filled), String(repeating: " ", count: width - filled),
                fraction * 100, Double(sent) / 1_048_576, Double(total) / 1_048_576, rate)
            FileHandle.standardError.write(Data(((interactive ? "\r" : "") + line + (interactive ? "" : "\n")).utf8))
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
