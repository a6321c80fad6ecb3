import HubCore
import Logging
import Synchronization
import PostgresNIO

/// `CacheBroadcast` on PostgreSQL's `NOTIFY`/`LISTEN`, channel `hub_cache`: a change is sent as a
/// notification through the pool, and one connection of this instance's own listens, for as long
/// as `run()` runs, reconnecting after a second when it drops. After a reconnection every reader
/// is told `.everything`, since what was sent meanwhile is lost.
public final class PostgresCacheBroadcast: CacheBroadcast {
    static let channel = "hub_cache"

    private let database: HubPostgresDatabase
    private let readers = Mutex<[Int: AsyncStream<CachedChange>.Continuation]>([:])
    private let nextReader = Atomic<Int>(0)

    init(database: HubPostgresDatabase) {
        self.database = database
    }

    public func publish(_ change: CachedChange) async {
        do {
            try await database.pool.execute("SELECT pg_notify(\(Self.channel), \(change.payload))", logger: database.logger)
        } catch {
            database.logger.warning("a change could not be told to the other instances", metadata: ["change": "\(change.payload)", "error": "\(error)"])
        }
    }

    public func changes() -> AsyncStream<CachedChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: CachedChange.self, bufferingPolicy: .bufferingNewest(1_000))
        let id = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        readers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.readers.withLock { _ = $0.removeValue(forKey: id) } }
        return stream
    }

    private func deliver(_ change: CachedChange) {
        for reader in readers.withLock({ Array($0.values) }) { reader.yield(change) }
    }

    /// Listens until the task is cancelled.
    public func run() async {
        var connected = false
        while !Task.isCancelled {
            do {
                let connection = try await database.connectDirectly(id: 2)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: Self.channel) { notifications in
                    // Listening again after a drop: whatever was sent in between is unknown.
                    if connected { deliver(.everything) }
                    connected = true
                    try await withTaskCancellationHandler {
                        for try await notification in notifications { deliver(CachedChange(payload: notification.payload)) }
                    } onCancel: {
                        Task { try? await connection.close() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                database.logger.warning("not hearing other instances' changes; retrying", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

extension HubPostgresDatabase {
    /// This instance's way to tell and hear the others' changes (listening while `run()` runs).
    public func makeCacheBroadcast() -> PostgresCacheBroadcast { PostgresCacheBroadcast(database: self) }
}
