import ArgumentParser
import Foundation
import HubAccounts
import HubCore
import HubWeb

/// `streamhub token …`: API tokens for scripts and the command line, managed on the server's
/// own database. Signed-in users also manage their own on the settings page.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new API token for an account.",
            discussion: "Use it as 'Authorization: Bearer TOKEN', or with streamhub upload --token / STREAMHUB_TOKEN. It is shown only once.")
        @Option(help: "The account the token acts as.") var user: String
        @Option(help: "What the token is for, shown on the settings page.") var label: String = "command line"
        @OptionGroup var options: HubOptions

        func run() async throws {
            try await options.withServices { hub in
                let accounts = hub.accounts
                guard let account = try await accounts.user(named: user) else { throw Failure.report("no account is named '\(user)'") }
                let (_, secret) = try await Failure.report { try await accounts.createToken(for: account, label: label) }
                print(secret)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's tokens (never their secrets).")
        @Option(help: "The account.") var user: String
        @OptionGroup var options: HubOptions

        func run() async throws {
            try await options.withServices { hub in
                let accounts = hub.accounts
                guard let account = try await accounts.user(named: user) else { throw Failure.report("no account is named '\(user)'") }
                for token in try await accounts.tokens(of: account) {
                    let used = token.lastUsedAt.map { $0.formatted(.iso8601) } ?? "never used"
                    print([token.id, token.label, token.createdAt.formatted(.iso8601), used].joined(separator: "\t"))
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token; running hubs refuse it within two seconds.")
        @Argument(help: "The token.") var token: String
        @OptionGroup var options: HubOptions

        func run() async throws {
            try await options.withServices { hub in
                let accounts = hub.accounts
                guard try await accounts.revokeToken(secret: token.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw Failure.report("no such token (already revoked?)")
                }
                print("revoked")
            }
        }
    }
}
