/// What a metadata database statement does, as its figures' `operation` label: the SQL's
/// leading keyword, so the label has a handful of values whatever the query.
public enum DatabaseStatement: String, CaseIterable, Hashable, Sendable {
    case select, insert, update, delete
    /// SQLite's COMMIT, where a write transaction's fsync is paid.
    case commit
    /// A PostgreSQL transaction as a whole, from BEGIN to COMMIT.
    case transaction
    case other

    public init(sql: some StringProtocol) {
        let keyword = sql.utf8.lazy.drop(while: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\t") })
            .prefix(while: { ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") })
        self = switch String(decoding: keyword, as: UTF8.self).lowercased() {
        case "select": .select
        case "insert": .insert
        case "update": .update
        case "delete": .delete
        case "commit", "end": .commit
        default: .other
        }
    }
}

/// The metadata database's figures: how long its statements take
/// (`streamhub_database_query_duration_seconds`) and how many failed
/// (`streamhub_database_errors_total`), by `backend` (`sqlite`, `postgres`) and `operation`
/// (the statement's verb).
public struct DatabaseMetrics: Sendable {
    private let operations: OperationMetrics<DatabaseStatement>

    /// `isFailure` tells the database's own failures (unreachable, a broken statement) from the
    /// domain errors a transaction's body throws through it (a version conflict), which are not.
    public init(_ metrics: HubMetrics, backend: String, isFailure: @escaping @Sendable (any Error) -> Bool = { _ in true }) {
        operations = OperationMetrics(
            metrics, durations: "streamhub_database_query_duration_seconds", errors: "streamhub_database_errors_total",
            labels: [("backend", backend)], isExpected: { !isFailure($0) })
    }

    public static var disabled: DatabaseMetrics { DatabaseMetrics(.disabled, backend: "none") }

    /// A statement that has run, timed by the database itself.
    public func record(sql: some StringProtocol, duration: Duration) {
        operations.record(DatabaseStatement(sql: sql), duration)
    }

    public func measure<T>(_ statement: DatabaseStatement, _ body: () async throws -> T) async throws -> T {
        try await operations.measure(statement, body)
    }
}
