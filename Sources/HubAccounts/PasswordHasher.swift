import Crypto
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
        let input = Self.bcryptInput(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(input, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        let input = Self.bcryptInput(password)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(input, hash: hash) }
    }

    /// What bcrypt is given. It reads only the first 72 bytes, so a longer password (a
    /// passphrase, or a few words in a script of three bytes a letter) is digested first, and
    /// every character of it counts. Passwords within 72 bytes go as they are: hashes made
    /// before long passwords were allowed still verify.
    static func bcryptInput(_ password: String) -> String {
        guard password.utf8.count > 72 else { return password }
        return Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
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
