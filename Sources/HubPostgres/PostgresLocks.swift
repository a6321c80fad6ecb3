import HubCore
import Logging
import PostgresNIO

/// `UploadLocks` and `RoleClaims` as PostgreSQL session-level advisory locks, all held on one
/// connection of this instance's own, outside the pool: a PATCH may last minutes and a role
/// days, and holding a pooled connection for each would starve the statements made meanwhile.
/// If this process dies, PostgreSQL ends its session and every lock it held is free for another
/// instance at once. If the connection drops, its locks are gone: the generation moves on, and
/// the leases of the old one report they are no longer held.
public actor PostgresLocks: UploadLocks, RoleClaims {
    private let database: HubPostgresDatabase
    private var connection: PostgresConnection?
    private var generation = 0
    /// Locks held per key on this connection. PostgreSQL counts a session's locks of one key,
    /// but the service never takes one key twice at once (it excludes writers in-process first).
    private var held: Set<Int64> = []
    /// The connection being opened, which concurrent first uses wait for together.
    private var opening: Task<PostgresConnection, any Error>?

    init(database: HubPostgresDatabase) {
        self.database = database
    }

    public func acquire(_ id: UploadID) async throws -> (any Lease)? {
        try await acquire(key: Self.key(of: id))
    }

    public func claim(_ role: ExclusiveRole) async throws -> (any Lease)? {
        try await acquire(key: Self.key(of: role))
    }

    private func acquire(key: Int64) async throws -> (any Lease)? {
        let connection = try await currentConnection()
        let current = generation
        let logger = database.logger
        let acquired = try await database.pool.withDeadline {
            try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).collect().first?.decode(Bool.self) ?? false
        }
        // Taken on a connection that has since been lost: not held after all.
        guard acquired, current == generation else { return nil }
        held.insert(key)
        return HeldLock(locks: self, key: key, generation: current)
    }

    fileprivate func isHeld(_ key: Int64, generation: Int) -> Bool {
        generation == self.generation && connection != nil && held.contains(key)
    }

    fileprivate func release(_ key: Int64, generation: Int) async {
        guard generation == self.generation, let connection, held.remove(key) != nil else { return }
        // A failure here means the connection is gone, and the lock with it.
        _ = try? await database.pool.withDeadline {
            try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: self.database.logger).collect()
        }
    }

    private func currentConnection() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        if connection != nil { lost() }
        if let opening { return try await opening.value }
        let database = database
        let task = Task { try await database.pool.withDeadline { try await database.connectDirectly(id: 1) } }
        opening = task
        defer { opening = nil }
        let opened = try await task.value
        connection = opened
        let current = generation
        opened.closeFuture.whenComplete { _ in Task { await self.closed(generation: current) } }
        return opened
    }

    private func closed(generation closing: Int) {
        if closing == generation { lost() }
    }

    /// The connection is gone, and every lock it held.
    private func lost() {
        connection = nil
        held.removeAll()
        generation += 1
        database.logger.warning("the lock connection to PostgreSQL was lost; uploads in progress must be resumed, and roles are claimed again")
    }

    /// The upload id's first 64 of its 128 random bits: unique among uploads in practice, and a
    /// collision costs only a 423 that the client retries.
    static func key(of id: UploadID) -> Int64 {
        Int64(bitPattern: UInt64(id.rawValue.prefix(16), radix: 16) ?? 0)
    }

    /// Fixed keys beside the migration lock's (`HubPostgresDatabase.migrationLock`); an upload's
    /// random key meeting one of them costs that upload a 423.
    static func key(of role: ExclusiveRole) -> Int64 {
        switch role {
        case .peerNetwork: 0x7374_7265_616d_7032  // "streamp2"
        case .noteMirror: 0x7374_7265_616d_6d69  // "streammi"
        case .videoUpkeep: 0x7374_7265_616d_7675  // "streamvu"
        }
    }

    /// Closes the lock connection (at shutdown), releasing every lock.
    public func close() async {
        guard let connection else { return }
        // A new generation first, so the close is not reported as a lost connection.
        self.connection = nil
        held.removeAll()
        generation += 1
        // Released before the socket closes: the server ends a closed session only when it
        // notices, and another instance should not wait for that to take over on a clean stop.
        let logger = database.logger
        _ = try? await database.pool.withDeadline {
            try await connection.query("SELECT pg_advisory_unlock_all()", logger: logger).collect()
        }
        try? await connection.close()
    }

    struct HeldLock: Lease {
        let locks: PostgresLocks
        let key: Int64
        let generation: Int

        func isHeld() async -> Bool { await locks.isHeld(key, generation: generation) }
        func release() async { await locks.release(key, generation: generation) }
    }
}

extension HubPostgresDatabase {
    /// This instance's upload locks and role claims (one connection, opened on first use).
    public func makeLocks() -> PostgresLocks { PostgresLocks(database: self) }
}
