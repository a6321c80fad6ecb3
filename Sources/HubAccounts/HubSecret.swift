import Crypto
import Foundation
import HubCore
import HubSystem

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
            let key = try DurableFile.readOrCreateOnce(path) {
                var generator = SystemRandomNumberGenerator()
                return (0..<32).map { _ in generator.next() as UInt8 }.hexEncoded
            }
            guard key.utf8.count >= 32 else { throw InvalidInput("\(path) holds fewer than 32 characters", code: "invalid_secret") }
            return HubSecret(key)
        } catch {
            throw ConfigurationError(setting: "HUB_SECRET_KEY", problem: "is unset and \(path) cannot be read or created: \(error)")
        }
    }
}
