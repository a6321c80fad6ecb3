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
        self.init(keywordOf: sql.utf8)
    }

    /// From the statement's text as bytes: its first word, read without making a string, since
    /// SQLite's profile asks this for every statement a request runs.
    public init(keywordOf text: some Sequence<UInt8>) {
        var keyword: (UInt64, Int) = (0, 0)
        var started = false
        for byte in text {
            if !started, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                continue
            }
            started = true
            let lower = byte | 0x20
            guard lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "z"), keyword.1 < 8 else { break }
            keyword = (keyword.0 << 8 | UInt64(lower), keyword.1 + 1)
        }
        self = Self.keywords[keyword.0] ?? .other
    }

    /// Each verb's letters packed into a word, as `init(keywordOf:)` packs what it reads.
    private static let keywords: [UInt64: DatabaseStatement] = {
        var keywords: [UInt64: DatabaseStatement] = [:]
        for (word, statement) in [("select", Self.select), ("insert", .insert), ("update", .update), ("delete", .delete), ("commit", .commit), ("end", .commit)] {
            keywords[word.utf8.reduce(0) { $0 << 8 | UInt64($1) }] = statement
        }
        return keywords
    }()
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
    public func record(_ statement: DatabaseStatement, duration: Duration) {
        operations.record(statement, duration)
    }

    public func measure<T>(_ statement: DatabaseStatement, _ body: () async throws -> T) async throws -> T {
        try await operations.measure(statement, body)
    }
}
