import HubCore
import Logging
import PostgresNIO

/// The repositories' way to the database: the connection pool, with a deadline on every
/// statement and transaction, and the errors of a database that is gone turned into
/// `DatabaseUnavailable`.
///
/// PostgresNIO's pool queues a request while it cannot connect and retries with backoff,
/// forever: without a deadline, a request made while PostgreSQL is down would wait until it
/// returns, holding its client's connection open. With one, it is answered 503 within
/// `deadline`, and the pool's retries bring the hub back on its own once the server is up.
struct PostgresPool: PostgresQuerying, Sendable {
    let client: PostgresClient
    let deadline: Duration
    /// Statements run on the pool, by their verb, and transactions as a whole (the statements
    /// inside one are its time).
    let metrics: DatabaseMetrics

    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await metrics.measure(DatabaseStatement(sql: query.sql)) {
            try await withDeadline { try await client.query(query, logger: logger).collect() }.map { $0.makeRandomAccess() }
        }
    }

    /// Runs `body` in one transaction on one connection, committed when it returns and rolled
    /// back when it throws. The error thrown is the body's own (or BEGIN's or COMMIT's), not
    /// PostgresNIO's wrapper, so callers can match domain errors such as a version conflict.
    func transaction<Result: Sendable>(
        logger: Logger, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await metrics.measure(.transaction) {
            try await withDeadline {
                do {
                    return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
                } catch let error as PostgresTransactionError {
                    throw error.closureError ?? error.beginError ?? error.commitError ?? error
                }
            }
        }
    }

    /// Runs `operation` for at most `deadline`; a connection the server dropped or refused, or
    /// no answer in time, is `DatabaseUnavailable`.
    func withDeadline<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let deadline = self.deadline
        do {
            return try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    throw DatabaseUnavailable(reason: "PostgreSQL did not answer within \(deadline)")
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let error as PSQLError where Self.meansUnavailable(error) {
            throw DatabaseUnavailable(reason: "PostgreSQL is unreachable (\(error.code))")
        }
    }

    /// Errors that say the server is gone or going, not that the statement was wrong: the
    /// connection failed or closed, or the server is shutting down or starting (SQLSTATE 57P0x,
    /// class 08).
    static func meansUnavailable(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed, .sslUnsupported: return true
        default:
            guard let state = error.sqlState else { return false }
            return state.hasPrefix("08") || state.hasPrefix("57P")
        }
    }
}
