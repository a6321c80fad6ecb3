import ArgumentParser
import Foundation
import HubClient

/// How a command that talks to a running hub finds it: `--server`/`STREAMHUB_URL` and
/// `--token`/`STREAMHUB_TOKEN`.
struct ClientOptions: ParsableArguments {
    @Option(help: "The hub's base URL (STREAMHUB_URL).") var server: String?
    @Option(help: "An API token (STREAMHUB_TOKEN); make one with 'streamhub token create' or on the settings page.") var token: String?

    var serverURL: URL {
        get throws {
            guard let url = URL(string: server ?? ProcessInfo.processInfo.environment["STREAMHUB_URL"] ?? "http://127.0.0.1:8080") else {
                throw ValidationError("--server must be a URL")
            }
            return url
        }
    }

    var resolvedToken: String {
        get throws {
            guard let token = token ?? ProcessInfo.processInfo.environment["STREAMHUB_TOKEN"], !token.isEmpty else {
                throw ValidationError("an API token is required: --token or STREAMHUB_TOKEN (make one with 'streamhub token create --user NAME')")
            }
            return token
        }
    }

    func client() throws -> HubAPIClient { HubAPIClient(server: try serverURL, token: try resolvedToken) }
}
