import ArgumentParser
import Foundation
import HubAPI
import HubClient
import HubCore

/// `streamhub videos …`: a running hub's library, through its API.
struct VideosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "videos", abstract: "List videos, see their processing, retry a failed one, pin peers' videos.",
        subcommands: [List.self, Show.self, Retry.self, Captions.self, Pin.self, Unpin.self])

    struct Captions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A video's captions.", subcommands: [Add.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Attach a WebVTT or SRT file as the captions in one language (replacing that language's).")
            @Argument(help: "The video's id.") var id: String
            @Argument(help: "The captions file (.vtt or .srt).") var file: String
            @Option(help: "Its language tag: en, fr, pt-BR…") var lang: String
            @Option(help: "The name the player's menu shows (defaults to the language tag).") var label: String?
            @OptionGroup var client: ClientOptions

            func validate() throws {
                guard VideoID(id) != nil else { throw ValidationError("'\(id)' is not a video id") }
                guard CaptionTrack.isLanguageTag(lang) else { throw ValidationError("'\(lang)' is not a language tag such as en or pt-BR") }
            }

            func run() async throws {
                guard let bytes = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                var path = "api/v1/videos/\(id)/captions/\(lang)"
                if let label { path += queryString([URLQueryItem(name: "label", value: label)]) }
                let track = try await report {
                    try await client.client().send(.PUT, path, raw: (bytes, "text/plain; charset=utf-8"), as: CaptionResource.self)
                }
                print("\(track.language)\t\(track.cues) cues\t\(track.label)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List videos: id, status, size, title.")
        @Option(help: "Only videos whose title, description or tags match.") var query: String?
        @Option(help: "How many.") var limit = 50
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var items = [URLQueryItem(name: "limit", value: String(limit))]
            if let query { items.append(URLQueryItem(name: "q", value: query)) }
            let listing = try await report { try await client.client().send(.GET, "api/v1/videos" + queryString(items), as: VideoListResource.self) }
            for video in listing.items {
                print([video.id, VideosCommand.status(of: video), Format.bytes(video.sizeBytes), video.title].joined(separator: "\t"))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A video's details and processing state.")
        @Argument(help: "The video's id.") var id: String
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard VideoID(id) != nil else { throw ValidationError("'\(id)' is not a video id") }
        }

        func run() async throws {
            let video = try await report { try await client.client().send(.GET, "api/v1/videos/\(id)", as: VideoResource.self) }
            print(video.title)
            print("\(video.id) · \(VideosCommand.status(of: video)) · \(Format.bytes(video.sizeBytes)) · \(video.contentType) · \(video.filename)")
            if let failure = video.failure { print("failed: \(failure)") }
            let codecs = [video.videoCodec, video.audioCodec].compactMap { $0 }
            if !codecs.isEmpty { print("codecs: " + codecs.joined(separator: " / ")) }
            if let width = video.width, let height = video.height { print("resolution: \(width)×\(height)") }
            if let duration = video.durationSeconds { print("duration: \(Format.duration(duration))") }
            print("sha256: \(video.sha256)")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a failed video's processing again (its owner or an admin).")
        @Argument(help: "The video's id.") var id: String
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard VideoID(id) != nil else { throw ValidationError("'\(id)' is not a video id") }
        }

        func run() async throws {
            let video = try await report { try await client.client().send(.POST, "api/v1/videos/\(id)/retry", as: VideoResource.self) }
            print("\(video.id)\t\(VideosCommand.status(of: video))")
        }
    }

    /// "ready", "processing 40%", "failed".
    static func status(of video: VideoResource) -> String {
        guard video.status == VideoStatus.processing.rawValue, let progress = video.progress else { return video.status }
        return "processing \(Int((progress * 100).rounded()))%"
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep a whole copy of a peer's shared video on this hub (admins), whatever the replica placement says.")
        @Argument(help: "The video's id.") var id: String
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard VideoID(id) != nil else { throw ValidationError("'\(id)' is not a video id") }
        }

        func run() async throws {
            let answer = try await report { try await client.client().send(.POST, "api/v1/videos/\(id)/pin", as: VideoPinResource.self) }
            print("\(answer.video)\tpinned")
        }
    }

    struct Unpin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop keeping a pinned peer's video whole (admins).")
        @Argument(help: "The video's id.") var id: String
        @OptionGroup var client: ClientOptions

        func validate() throws {
            guard VideoID(id) != nil else { throw ValidationError("'\(id)' is not a video id") }
        }

        func run() async throws {
            let answer = try await report { try await client.client().send(.DELETE, "api/v1/videos/\(id)/pin", as: VideoPinResource.self) }
            print("\(answer.video)\tunpinned")
        }
    }
}
