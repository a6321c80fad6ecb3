import ArgumentParser
import Foundation
import HubAPI
import HubClient
import HubCore

/// `streamhub peers …`: the peer network of a running hub, through its API.
struct PeersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "List, add and watch this hub's peers.", subcommands: [Add.self, List.self, Log.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a peer (admins): the hub contacts it at once and keeps it across restarts.")
        @Argument(help: "A name for the peer.") var name: String
        @Argument(help: "Its peer address, HOST:PORT (its P2P_PORT).") var address: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let peer = try await report {
                try await client.client().send(.POST, "api/v1/peers", body: AddPeerRequest(name: name, address: address), as: PeerStatus.self)
            }
            print([peer.name, peer.address.description, peer.state.rawValue].joined(separator: "\t"))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List peers: name, address, state, last contact, lag, conflicts.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let answer = try await report { try await client.client().send(.GET, "api/v1/peers", as: PeersResource.self) }
            guard answer.enabled else {
                FileHandle.standardError.write(Data("the peer network is off on \(answer.name) (P2P_ENABLED=false)\n".utf8))
                return
            }
            for peer in answer.peers {
                print([
                    peer.name, peer.address.description, peer.state.rawValue, peer.lastContact?.formatted(.iso8601) ?? "never",
                    peer.lagSeconds.map { String(format: "%.3fs", $0) } ?? "-", "\(peer.conflicts) conflicts",
                ].joined(separator: "\t"))
            }
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the sync log, newest first.")
        @Option(help: "How many entries.") var limit = 50
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let answer = try await report {
                try await client.client().send(.GET, "api/v1/sync/log" + queryString([URLQueryItem(name: "limit", value: String(limit))]), as: SyncLogResource.self)
            }
            for entry in answer.entries {
                print([
                    entry.at.formatted(.iso8601), entry.event.rawValue, entry.peer ?? "-", entry.note.map { "\($0.rawValue) v\(entry.version ?? 0)" } ?? "-",
                    entry.summary,
                ].joined(separator: "\t"))
            }
        }
    }
}
