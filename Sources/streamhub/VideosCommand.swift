import ArgumentParser
import Foundation
import HubAPI
import HubClient
import HubCore

/// `streamhub videos …`: a running hub's library, through its API.
struct VideosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "videos", abstract: "Pin peers' videos to keep whole copies of them on this hub.", subcommands: [Pin.self, Unpin.self])

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
