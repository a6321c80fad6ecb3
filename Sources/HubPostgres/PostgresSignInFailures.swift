import Foundation
import HubCore
import Logging
import PostgresNIO

/// `SignInFailureLog` in the `sign_in_failure` table: a row per failure and key, forgotten once
/// it is out of the throttle's window.
public struct PostgresSignInFailures: SignInFailureLog {
    let client: PostgresPool
    let logger: Logger

    public func record(_ keys: [String], at date: Date, forgetBefore: Date) async throws {
        try await client.execute(
            """
            WITH forgotten AS (DELETE FROM sign_in_failure WHERE at < \(forgetBefore))
            INSERT INTO sign_in_failure (key, at) SELECT key, \(date) FROM unnest(\(keys)::text[]) AS key
            """, logger: logger)
    }

    public func failures(of key: String, since: Date) async throws -> (count: Int, oldest: Date?) {
        let row = try await client.rows(
            "SELECT COUNT(*) AS count, MIN(at) AS oldest FROM sign_in_failure WHERE key = \(key) AND at >= \(since)", logger: logger
        ).first
        return (try row?.value("count", as: Int.self) ?? 0, try row?.value("oldest", as: Date?.self))
    }

    public func clear(_ key: String) async throws {
        try await client.execute("DELETE FROM sign_in_failure WHERE key = \(key)", logger: logger)
    }
}
