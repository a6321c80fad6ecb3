import Foundation
import HubCore
import HummingbirdBcrypt
import NIOPosix

/// bcrypt through hummingbird-auth, run on NIO's blocking thread pool: a hash takes tens of
/// milliseconds by design and must not stall an event loop or the cooperative executor.
struct PasswordHasher: Sendable {
    let cost: Int

    func hash(_ password: String) async throws -> String {
        let cost = UInt8(cost)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Spends the time of a real check when there is no account to check against, so the
    /// response time does not tell whether a name exists.
    func verifyNothing(_ password: String) async throws {
        _ = try await verify(password, against: dummyHash)
    }

    /// A well-formed hash at this cost (a fixed salt and digest), so checking against it costs
    /// what a real check costs.
    private var dummyHash: String {
        "$2b$\(String(format: "%02d", cost))$" + String(repeating: "C", count: 53)
    }
}
