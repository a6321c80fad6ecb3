import Crypto
import Foundation
import GRDB
import HubCore
import HubDatabase
import HubPostgres
import Logging
import PostgresNIO

/// `streamhub database migrate --to postgres://…`: copies a hub's SQLite database into a
/// PostgreSQL database, table by table, then verifies that every table holds the same rows on
/// both sides (counts, and a SHA-256 over every row's values in key order).
///
/// The target must be empty, or hold an earlier, interrupted copy of the same source (recorded
/// in its `hub_setting` table): rows are inserted with `ON CONFLICT DO NOTHING` in batches, each
/// batch its own transaction, so running the command again resumes where it stopped and copies
/// nothing twice. Stop the hub first: a row written meanwhile would fail the verification (run
/// the command again once it is stopped).
public struct SQLiteToPostgres: Sendable {
    public struct TableReport: Sendable, Equatable {
        public var table: String
        public var rows: Int
    }

    public enum Failure: Error, CustomStringConvertible {
        case targetNotEmpty(table: String)
        case differs(table: String, source: Int, target: Int)
        case checksumDiffers(table: String)

        public var description: String {
            switch self {
            case .targetNotEmpty(let table):
                "the target database is not empty (its table \(table) has rows) and holds no earlier copy of this hub; give an empty database"
            case .differs(let table, let source, let target): "\(table): \(source) rows in SQLite but \(target) in PostgreSQL"
            case .checksumDiffers(let table): "\(table): the rows differ between SQLite and PostgreSQL"
            }
        }
    }

    let source: any DatabaseReader
    let target: HubPostgresDatabase
    /// Names this copy in the target, so a second run knows the copy it resumes is its own.
    let sourceName: String
    /// The source hub's node id (a file beside its database), which the target keeps: the hub
    /// stays the same node to its peers.
    let nodeID: NodeID
    let logger: Logger
    /// Rows per INSERT (each row binds a dozen values at most; PostgreSQL takes 65,535).
    let batchSize: Int

    public init(
        source: any DatabaseReader, sourceName: String, nodeID: NodeID, target: HubPostgresDatabase, batchSize: Int = 500, logger: Logger
    ) {
        self.source = source
        self.nodeID = nodeID
        self.sourceName = sourceName
        self.target = target
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Copies every table, then verifies them; `progress` hears each table as it is done.
    public func run(progress: @Sendable (TableReport) -> Void = { _ in }) async throws -> [TableReport] {
        try await claimTarget()
        var reports: [TableReport] = []
        for table in MigratedTable.all {
            let rows = try await copy(table)
            let report = TableReport(table: table.target, rows: rows)
            reports.append(report)
            progress(report)
        }
        try await resetIdentities()
        for table in MigratedTable.all { try await verify(table) }
        return reports
    }

    /// The `hub_setting` naming the SQLite database a PostgreSQL one was copied from.
    static let marker = "migratedFrom"

    /// Refuses a target that holds anything but an earlier copy of this source.
    private func claimTarget() async throws {
        let marker = Self.marker
        let recorded = try await target.client.query("SELECT value FROM hub_setting WHERE name = \(marker)", logger: logger).collect()
            .first?.decode(String.self)
        if recorded == sourceName { return }
        for table in MigratedTable.all {
            let rows = try await target.client.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM \(table.target)"), logger: logger)
                .collect().first?.decode(Int.self) ?? 0
            if rows > 0 { throw Failure.targetNotEmpty(table: table.target) }
        }
        try await target.client.query(
            "INSERT INTO hub_setting (name, value) VALUES (\(marker), \(sourceName)), (\(NodeID.settingName), \(nodeID.rawValue))", logger: logger)
    }

    /// Copies one table in key order, a batch per transaction; returns how many rows it has.
    private func copy(_ table: MigratedTable) async throws -> Int {
        var copied = 0
        var cursor: DatabaseValue = .null
        while true {
            let after = cursor
            let (rows, last) = try await source.read { db -> ([[Cell]], DatabaseValue) in
                let sql = "SELECT \(table.sourceKey) AS migrationKey, \(table.sourceColumns) FROM \"\(table.source)\" "
                    + (after.isNull ? "" : "WHERE \(table.sourceKey) > ? ") + "ORDER BY \(table.sourceKey) LIMIT \(batchSize)"
                let found = try Row.fetchAll(db, sql: sql, arguments: after.isNull ? [] : [after])
                return (try found.map(table.read), found.last?["migrationKey"] ?? .null)
            }
            guard !rows.isEmpty else { break }
            var statement = PostgresStatement()
            let values = rows.map { row in "(" + row.map { $0.bind(into: &statement) }.joined(separator: ", ") + ")" }
            let sql = "INSERT INTO \(table.target) (\(table.targetColumns.joined(separator: ", ")))"
                + (table.keepsIdentity ? " OVERRIDING SYSTEM VALUE" : "") + " VALUES " + values.joined(separator: ", ")
                + " ON CONFLICT DO NOTHING"
            try await target.client.query(statement.query(sql), logger: logger)
            copied += rows.count
            cursor = last
        }
        return copied
    }

    /// Identity columns copied with their values: the next generated one follows the largest.
    private func resetIdentities() async throws {
        for table in MigratedTable.all where table.keepsIdentity {
            try await target.client.query(
                PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table.target)', 'id'), COALESCE((SELECT MAX(id) FROM \(table.target)), 0) + 1, false)
                    """), logger: logger)
        }
    }

    /// Both sides' rows, in key order, hashed value by value.
    private func verify(_ table: MigratedTable) async throws {
        let (sourceCount, sourceDigest) = try await source.read { db -> (Int, String) in
            var hash = SHA256()
            var count = 0
            let rows = try Row.fetchCursor(db, sql: "SELECT \(table.sourceColumns) FROM \"\(table.source)\" ORDER BY \(table.sourceOrder)")
            while let row = try rows.next() {
                for cell in try table.read(row) { cell.hash(into: &hash) }
                count += 1
            }
            return (count, hash.finalize().hexEncoded)
        }
        var hash = SHA256()
        var targetCount = 0
        let rows = try await target.client.query(
            PostgresQuery(
                unsafeSQL: "SELECT \(table.targetColumns.joined(separator: ", ")) FROM \(table.target) WHERE \(table.targetFilter) ORDER BY \(table.targetOrder)"),
            logger: logger)
        for try await row in rows {
            let cells = row.makeRandomAccess()
            for (index, kind) in table.kinds.enumerated() { try Cell(cells[index], as: kind).hash(into: &hash) }
            targetCount += 1
        }
        guard sourceCount == targetCount else { throw Failure.differs(table: table.target, source: sourceCount, target: targetCount) }
        guard sourceDigest == hash.finalize().hexEncoded else { throw Failure.checksumDiffers(table: table.target) }
    }
}
