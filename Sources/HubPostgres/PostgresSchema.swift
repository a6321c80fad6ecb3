/// The PostgreSQL schema, as numbered migrations applied in order (`HubPostgresDatabase.migrate`).
/// A migration once released is never edited: a change is a new migration.
enum PostgresSchema {
    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "hub settings", statements: [
            "CREATE TABLE hub_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
        ])
    ]
}
