import Crypto
import Foundation
import HubCore

/// A signed, expiring session: `v1.<payload>.<mac>`, both base64url, the MAC an HMAC-SHA256 of
/// the payload under the hub's session key. Everything needed to check it is in the cookie and
/// the account row, so any instance with the same `HUB_SECRET_KEY` accepts it.
///
/// The payload carries the account's session generation: logout and password changes bump it,
/// which invalidates every cookie issued before without keeping a list of sessions.
public struct SessionCookie: Sendable, Equatable {
    public static let name = "streamhub_session"

    var userID: UserID
    var generation: Int
    public var expiresAt: Date
    /// Random per sign-in; the CSRF token is derived from it.
    var nonce: String

    init(userID: UserID, generation: Int, expiresAt: Date, nonce: String = SessionCookie.randomNonce()) {
        self.userID = userID
        self.generation = generation
        self.expiresAt = expiresAt
        self.nonce = nonce
    }

    public func encoded(with secret: HubSecret) -> String {
        let payload = Data("\(userID.rawValue)|\(generation)|\(Int64(expiresAt.timeIntervalSince1970))|\(nonce)".utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: secret.sessionKey)
        return "v1.\(Base64URL.encode(payload)).\(Base64URL.encode(Data(mac)))"
    }

    /// The session in `value` if its signature is ours and it has not expired; nil otherwise
    /// (tampered, signed by another hub's key, expired, or not a cookie of ours at all).
    static func decode(_ value: Substring, with secret: HubSecret, now: Date) -> SessionCookie? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let payload = Base64URL.decode(parts[1]), let mac = Base64URL.decode(parts[2]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: secret.sessionKey)
        else { return nil }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 4, let userID = UserID(String(fields[0])), let generation = Int(fields[1]),
            let expiry = Int64(fields[2])
        else { return nil }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(expiry))
        guard expiresAt > now else { return nil }
        return SessionCookie(userID: userID, generation: generation, expiresAt: expiresAt, nonce: String(fields[3]))
    }

    /// The token this session's state-changing requests must carry (`X-CSRF-Token`).
    func csrfToken(with secret: HubSecret) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Data(nonce.utf8), using: secret.csrfKey)))
    }

    static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode(Data((0..<16).map { _ in generator.next() as UInt8 }))
    }
}

/// base64url without padding (RFC 4648 §5): safe in cookies and URLs without escaping.
enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
