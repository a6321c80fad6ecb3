import Logging
import PostgresNIO

/// What the repositories run statements on: the pool, or one connection while a transaction
/// holds it. Rows are read whole: every query here is bounded by a `LIMIT` or by what one note
/// or one account holds.
protocol PostgresQuerying {
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow]
}

extension PostgresConnection: PostgresQuerying {
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }
}

extension PostgresQuerying {
    /// Runs a statement whose rows (if any) are not wanted.
    func execute(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await rows(query, logger: logger)
    }

    /// The first column of the first row, or nil when there is no row.
    func scalar<Value: PostgresDecodable>(_ query: PostgresQuery, as type: Value.Type, logger: Logger) async throws -> Value? {
        guard let row = try await rows(query, logger: logger).first, row.count > 0 else { return nil }
        return try row[0].decode(Value.self)
    }
}

extension PostgresRandomAccessRow {
    /// The named column's value; a NULL decodes only into an optional.
    func value<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        try self[column].decode(Value.self)
    }
}

/// A statement whose `WHERE` clause is assembled from optional filters: each bound value gets
/// the next `$n`, so the SQL carries placeholders only, never a client's text.
public struct PostgresStatement {
    public private(set) var bindings = PostgresBindings()

    public init() {}

    /// Binds `value` and returns its placeholder.
    public mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        bindings.append(value)
        return "$\(bindings.count)"
    }

    /// Binds `value` (NULL when nil) and returns its placeholder.
    public mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value?) -> String {
        bindings.append(value)
        return "$\(bindings.count)"
    }

    public func query(_ sql: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}

extension PSQLError {
    /// The SQLSTATE of an error the server reported (`23505` for a unique violation).
    var sqlState: String? { serverInfo?[.sqlState] }
}

/// A stored value its domain type refuses (an id of the wrong shape): the row was written by
/// something other than a hub. Reading fails rather than inventing a value.
struct UnreadableColumn: Error, CustomStringConvertible {
    var column: String
    var description: String { "the database holds a value \(column) cannot be read as" }
}

extension Optional {
    func orThrow(column: String) throws -> Wrapped {
        guard let self else { throw UnreadableColumn(column: column) }
        return self
    }
}
