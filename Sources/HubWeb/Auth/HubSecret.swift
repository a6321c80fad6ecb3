import Crypto
import Foundation
import HubCore

#if canImport(Glibc)
import Glibc
#endif

/// The hub's signing secret (`HUB_SECRET_KEY`) and the keys derived from it. Every instance that
/// shares the secret accepts the others' session cookies, so no session store is needed.
///
/// When the setting is absent the hub generates 256 random bits once and keeps them in
/// `HUB_DATA_DIR/secret_key` (mode 0600); instances sharing a data directory share the file.
public struct HubSecret: Sendable {
    /// Signs session cookies.
    let sessionKey: SymmetricKey
    /// Derives a session's CSRF token, kept apart from the cookie key so one never signs the other.
    let csrfKey: SymmetricKey

    public init(_ secret: String) {
        let material = SymmetricKey(data: Data(secret.utf8))
        func derive(_ purpose: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: material, info: Data("streamhub \(purpose) v1".utf8), outputByteCount: 32)
        }
        sessionKey = derive("session cookie")
        csrfKey = derive("csrf token")
    }

    /// The configured secret, or the one kept in the data directory (made on first start).
    public static func load(configured: String?, dataDirectory: String) throws(ConfigurationError) -> HubSecret {
        if let configured { return HubSecret(configured) }
        let path = (dataDirectory as NSString).appendingPathComponent("secret_key")
        do {
            return HubSecret(try readOrCreate(path))
        } catch {
            throw ConfigurationError(setting: "HUB_SECRET_KEY", problem: "is unset and \(path) cannot be read or created: \(error)")
        }
    }

    private static func readOrCreate(_ path: String) throws -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let key = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            guard key.utf8.count >= 32 else { throw HubError.badRequest("\(path) holds fewer than 32 characters") }
            return key
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in String(format: "%02x", generator.next() as UInt8) }.joined()
        // Written whole to a private temporary file, then linked into place: link fails if
        // another instance won the race, and then its key is the one everybody uses.
        let temporary = "\(path).\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw PosixError(operation: "create", path: temporary)
        }
        defer { unlink(temporary) }
        try PosixFile(path: temporary, mode: .read).sync()
        if link(temporary, path) != 0 {
            guard errno == EEXIST else { throw PosixError(operation: "link", path: path) }
            return try readOrCreate(path)
        }
        PosixPath.syncDirectory(of: path)
        return key
    }
}
