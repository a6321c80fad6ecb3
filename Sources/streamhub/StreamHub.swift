import ArgumentParser

/// `streamhub`: the hub server and its command-line client.
@main
struct StreamHub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamhub",
        abstract: "A self-hosted hub to upload, stream and organise videos, with a community notepad.",
        subcommands: [
            ServeCommand.self, UserCommand.self, TokenCommand.self, UploadCommand.self, StorageCommand.self, DatabaseCommand.self,
            NotesCommand.self, PeersCommand.self, VideosCommand.self,
        ])
}
