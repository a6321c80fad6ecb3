import GRDB
import GRDBSQLite
import HubCore

/// Every SQLite statement's duration, as SQLite measures it, into the database's figures.
///
/// This is SQLite's own profile callback (`sqlite3_trace_v2`), not GRDB's `trace`: that one
/// builds each statement's SQL as a trimmed `String`, which cost a tenth of a small request's CPU.
/// Here the verb is read from SQLite's copy of the text, without allocating.
final class StatementProfile: Sendable {
    private let metrics: DatabaseMetrics

    init(_ metrics: DatabaseMetrics) {
        self.metrics = metrics
    }

    /// Starts profiling `db`'s connection. The callback holds this object unretained: the pool's
    /// configuration, whose `prepareDatabase` calls this, keeps it for as long as the
    /// connections live.
    func install(on db: Database) {
        guard let connection = db.sqliteConnection else { return }
        sqlite3_trace_v2(
            connection, UInt32(SQLITE_TRACE_PROFILE),
            { _, context, statement, nanoseconds in
                guard let context, let statement, let nanoseconds else { return 0 }
                let profile = Unmanaged<StatementProfile>.fromOpaque(context).takeUnretainedValue()
                profile.record(statement: OpaquePointer(statement), nanoseconds: nanoseconds.load(as: Int64.self))
                return 0
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func record(statement: OpaquePointer, nanoseconds: Int64) {
        guard let text = sqlite3_sql(statement) else { return }
        // The verb is within the first few bytes; a statement's text ends with a NUL.
        let verb = UnsafeRawPointer(text).withMemoryRebound(to: UInt8.self, capacity: 16) { bytes in
            DatabaseStatement(keywordOf: UnsafeBufferPointer(start: bytes, count: Self.length(bytes, atMost: 16)))
        }
        metrics.record(verb, duration: .nanoseconds(nanoseconds))
    }

    private static func length(_ bytes: UnsafePointer<UInt8>, atMost limit: Int) -> Int {
        var count = 0
        while count < limit, bytes[count] != 0 { count += 1 }
        return count
    }
}
