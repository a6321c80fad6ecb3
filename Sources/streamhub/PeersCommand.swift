import ArgumentParser
import Foundation
import HubClient

/// `streamhub peers …`: the peer network of a running hub, through its API.
struct PeersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "List, add and watch this hub's peers.", subcommands: [Add.self, List.self, Log.self])

    struct Peer: Decodable {
        var address: String
        var name: String
        var node: String?
        var state: String
        var source: String
        var lastContact: Date?
        var lagSeconds: Double?
        var conflicts: Int
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a peer (admins): the hub contacts it at once and keeps it across restarts.")
        @Argument(help: "A name for the peer.") var name: String
        @Argument(help: "Its peer address, HOST:PORT (its P2P_PORT).") var address: String
        @OptionGroup var client: ClientOptions

        struct Body: Encodable {
            var name: String
            var address: String
        }

        func run() async throws {
            let peer = try await report {
                try await client.client().send(.POST, "api/v1/peers", body: Body(name: name, address: address), as: Peer.self)
            }
            print([peer.name, peer.address, peer.state].joined(separator: "\t"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List peers: name, address, state, last contact, lag, conflicts.")
        @OptionGroup var client: ClientOptions

        struct Answer: Decodable {
            var enabled: Bool
            var name: String
            var peers: [Peer]
        }

        func run() async throws {
            let answer = try await report { try await client.client().send(.GET, "api/v1/peers", as: Answer.self) }
            guard answer.enabled else {
                FileHandle.standardError.write(Data("the peer network is off on \(answer.name) (P2P_ENABLED=false)\n".utf8))
                return
            }
            for peer in answer.peers {
                print([
                    peer.name, peer.address, peer.state, peer.lastContact?.formatted(.iso8601) ?? "never",
                    peer.lagSeconds.map { String(format: "%.3fs", $0) } ?? "-", "\(peer.conflicts) conflicts",
                ].joined(separator: "\t"))
            }
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the sync log, newest first.")
        @Option(help: "How many entries.") var limit = 50
        @OptionGroup var client: ClientOptions

        struct Answer: Decodable {
            struct Entry: Decodable {
                var at: Date
                var event: String
                var peer: String?
                var note: String?
                var version: Int?
                var summary: String
            }
            var entries: [Entry]
        }

        func run() async throws {
            let answer = try await report {
                try await client.client().send(.GET, "api/v1/sync/log" + queryString([URLQueryItem(name: "limit", value: String(limit))]), as: Answer.self)
            }
            for entry in answer.entries {
                print([
                    entry.at.formatted(.iso8601), entry.event, entry.peer ?? "-", entry.note.map { "\($0) v\(entry.version ?? 0)" } ?? "-",
                    entry.summary,
                ].joined(separator: "\t"))
            }
        }
    }
}
