import Foundation
import HubCore
import HubPostgres
import HubTestSupport
import PostgresNIO
import Testing

/// Upload locks and role claims across instances: each `PostgresLocks` is what one instance holds.
@Suite struct PostgresLockTests {
    @Test func oneInstanceWritesAnUploadAtATime() async throws {
        try await withPostgres { database, _ in
            let (first, second) = (database.makeLocks(), database.makeLocks())
            let (upload, other) = (UploadID(), UploadID())
            let lease = try #require(try await first.acquire(upload))
            #expect(await lease.isHeld())
            #expect(try await second.acquire(upload) == nil, "held by the first instance")
            let otherLease = try #require(try await second.acquire(other), "another upload is free")
            await lease.release()
            #expect(await !lease.isHeld())
            let taken = try #require(try await second.acquire(upload), "free once released")
            #expect(try await first.acquire(upload) == nil)
            await taken.release()
            await otherLease.release()
            await first.close()
            await second.close()
        }
    }

    /// Each role is held by one instance at a time, independently of the others and of uploads;
    /// when the holder is gone, the next claim takes it over.
    @Test func oneInstanceHoldsEachRoleAndAnotherTakesItOver() async throws {
        try await withPostgres { database, _ in
            let instances = [database.makeLocks(), database.makeLocks(), database.makeLocks()]
            let network = try #require(try await instances[0].claim(.peerNetwork))
            let mirror = try #require(try await instances[1].claim(.noteMirror), "another role is free")
            for instance in instances[1...] { #expect(try await instance.claim(.peerNetwork) == nil) }
            #expect(try await instances[0].claim(.noteMirror) == nil)
            #expect(try await instances[2].acquire(UploadID()) != nil, "uploads are not roles")
            await instances[0].close()
            #expect(await !network.isHeld())
            let takenOver = try #require(try await instances[2].claim(.peerNetwork))
            #expect(await takenOver.isHeld())
            #expect(await mirror.isHeld())
            for instance in instances { await instance.close() }
        }
    }

    /// An instance that stops frees its locks for the others at once (one that dies frees them
    /// when the server notices: see the next test, and the end-to-end SIGKILL tests).
    @Test func locksOfAnInstanceThatStopsAreFreeAtOnce() async throws {
        try await withPostgres { database, _ in
            let (dying, survivor) = (database.makeLocks(), database.makeLocks())
            let upload = UploadID()
            let lease = try #require(try await dying.acquire(upload))
            #expect(try await survivor.acquire(upload) == nil)
            await dying.close()
            #expect(await !lease.isHeld())
            #expect(try await survivor.acquire(upload) != nil)
            await survivor.close()
        }
    }

    /// The lock connection cut under a writer (the server ended its session): the writer's
    /// lease says so before it records anything, and another instance can take the lock.
    @Test func aLeaseOnALostConnectionIsNotHeld() async throws {
        try await withPostgres { database, _ in
            let (cut, other) = (database.makeLocks(), database.makeLocks())
            let upload = UploadID()
            let lease = try #require(try await cut.acquire(upload))
            // Ends the session holding the advisory lock: the first instance's lock connection
            // (in this test's database only: the other tests run beside it on the same server).
            try await database.client.query(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """)
            for _ in 0..<50 where await lease.isHeld() { try await Task.sleep(for: .milliseconds(20)) }
            #expect(await !lease.isHeld())
            #expect(try await other.acquire(upload) != nil)
            // The first instance opens a new connection and goes on.
            #expect(try await cut.acquire(UploadID()) != nil)
            await cut.close()
            await other.close()
        }
    }
}
