import Configuration
import Testing

@testable import HubCore

struct PostgresSettingsTests {
    func parse(_ variables: [String: String]) throws -> PostgresSettings? {
        try PostgresSettings(reading: SettingsReader(ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables))).scoped("database"))
    }

    @Test func aURLSaysWhereAndHow() throws {
        let remote = try #require(try parse(["DATABASE_URL": "postgresql://hub:p%40ss%2Fword@db.example:6543/streamhub?sslmode=verify-full"]))
        #expect(remote == PostgresSettings(
            host: "db.example", port: 6543, user: "hub", password: "p@ss/word", database: "streamhub", tls: .verifyFull, poolSize: 10))
        // TLS is preferred off the machine, off on loopback, unless the URL says otherwise.
        #expect(try parse(["DATABASE_URL": "postgres://hub@db.example/hub"])?.tls == .prefer)
        #expect(try parse(["DATABASE_URL": "postgres://hub@127.0.0.1/hub", "DATABASE_POOL_SIZE": "3"]) == PostgresSettings(
            host: "127.0.0.1", port: 5432, user: "hub", password: nil, database: "hub", tls: .disable, poolSize: 3))
        #expect(try parse([:]) == nil)
        #expect(try parse(["DATABASE_URL": "sqlite:/var/lib/hub.sqlite"]) == nil)
    }
}

@Suite struct PostgresSettingsDescriptionTests {
    /// A configuration printed in a log or a failed expectation never shows the password.
    @Test func thePasswordIsNeverPrinted() throws {
        let reader = ConfigReader(provider: InMemoryProvider(values: ["database.url": "postgres://hub:s3cret-word@db.example/hub"]))
        let configuration = try HubConfiguration(reader: reader)
        let postgres = try #require(configuration.postgres)
        for text in ["\(postgres)", String(reflecting: postgres), "\(configuration)", String(reflecting: configuration)] {
            #expect(!text.contains("s3cret-word"), "\(text)")
        }
        #expect("\(postgres)" == "postgres://hub:***@db.example:5432/hub?sslmode=prefer (pool of 10)")
    }
}

@Suite struct CachedChangeTests {
    @Test func changesReadBackFromTheirPayload() {
        let user = UserID(), video = VideoID()
        for change in [CachedChange.account(user), .tokens, .video(video), .everything] {
            #expect(CachedChange(payload: change.payload) == change)
        }
        // Another version's message, or a damaged one, drops everything: the safe reading.
        for payload in ["", "account:", "account:not-an-id", "video:../../x", "noteDocument:abc", "tokens:extra"] {
            #expect(CachedChange(payload: payload) == (payload == "tokens:extra" ? .tokens : .everything), "\(payload)")
        }
    }
}
