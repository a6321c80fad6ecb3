import Crypto
import Foundation
import HubCore
import Synchronization

/// Signs and checks the peer protocol's requests (DESIGN.md: every request under `/p2p/v1` is
/// signed with `P2P_SECRET`). A request carries its sender's node id, the time, a random nonce
/// and an HMAC-SHA256 over method, path, those three and the SHA-256 of its body (sent too, as
/// `Stream-Hub-Content-SHA256`), so a hub without the secret can neither forge a request nor
/// alter one in flight; one outside the time window (stale, or from a badly wrong clock) or seen
/// before (replayed) is refused. The headers are checked before the body is read, so an
/// unsigned request costs its sender a 401 and the hub nothing.
///
/// The HMAC key is derived from the secret with HKDF under its own purpose, so the cluster
/// secret is never used as a key directly and cannot sign anything else the hub signs.
public struct PeerRequestAuthenticator: Sendable {
    public static let nodeHeader = "Stream-Hub-Node"
    public static let timestampHeader = "Stream-Hub-Timestamp"
    public static let nonceHeader = "Stream-Hub-Nonce"
    public static let signatureHeader = "Stream-Hub-Signature"
    /// The body's SHA-256, which the signature covers: a receiver checks the signature from the
    /// headers alone, before it reads a byte of the body, and the body against it as it arrives.
    public static let contentDigestHeader = "Stream-Hub-Content-SHA256"

    private let key: SymmetricKey
    private let node: NodeID
    private let clock: any WallClock
    /// How far a request's time may be from ours, either way.
    public let window: TimeInterval
    private let seen: NonceRegistry

    /// This hub's authenticator under `P2P_SECRET`. Loopback-only hubs may run without a secret
    /// (the configuration refuses anything else); they then sign with an empty one, which
    /// every such hub shares.
    public static func forHub(secret: String?, node: NodeID, clock: any WallClock) -> PeerRequestAuthenticator {
        PeerRequestAuthenticator(secret: secret ?? "", node: node, clock: clock)
    }

    public init(secret: String, node: NodeID, clock: any WallClock, window: TimeInterval = 60) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), info: Data("streamhub peer request v1".utf8), outputByteCount: 32)
        self.node = node
        self.clock = clock
        self.window = window
        seen = NonceRegistry(lifetime: 2 * window)
    }

    /// The headers that sign a request from this node.
    public func headers(method: String, path: String, body: some Collection<UInt8>) -> [String: String] {
        var generator = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in generator.next() as UInt8 }.hexEncoded
        let timestamp = String(Int64(clock.now().timeIntervalSince1970 * 1000))
        let digest = SHA256.hash(data: Array(body)).hexEncoded
        let signature = sign(method: method, path: path, node: node.rawValue, timestamp: timestamp, nonce: nonce, bodyDigest: digest)
        return [
            Self.nodeHeader: node.rawValue, Self.timestampHeader: timestamp, Self.nonceHeader: nonce, Self.signatureHeader: signature,
            Self.contentDigestHeader: digest,
        ]
    }

    /// A request whose headers are correctly signed, fresh and first seen; its body is still to
    /// be checked against `bodyDigest` (`PeerBodyDigest`).
    public struct SignedHead: Sendable, Equatable {
        public var sender: NodeID
        /// Lowercase hex SHA-256 the body must have.
        public var bodyDigest: String
    }

    /// Checks a request from its headers alone: no body is read from anyone who cannot sign.
    /// `header` looks a header up by name.
    public func verifyHead(method: String, path: String, header: (String) -> String?) throws(PeerAuthenticationError) -> SignedHead {
        guard let nodeValue = header(Self.nodeHeader), let timestamp = header(Self.timestampHeader),
            let nonce = header(Self.nonceHeader), let signature = header(Self.signatureHeader),
            let digest = header(Self.contentDigestHeader)
        else { throw .unsigned }
        // Bounded before anything is computed from them: at most 15 digits of milliseconds.
        guard let sender = NodeID(nodeValue), timestamp.utf8.count <= 15, timestamp.utf8.allSatisfy({ (48...57).contains($0) }),
            let milliseconds = Int64(timestamp), Self.isLowercaseHex(nonce, count: 32), Self.isLowercaseHex(digest, count: 64),
            signature.utf8.count == 64
        else { throw .malformed }
        let expected = sign(method: method, path: path, node: nodeValue, timestamp: timestamp, nonce: nonce, bodyDigest: digest)
        // Compared in constant time, so response timing reveals nothing about the signature.
        guard ConstantTime.equal(expected, signature) else { throw .badSignature }
        let age = clock.now().timeIntervalSince1970 - Double(milliseconds) / 1000
        guard abs(age) <= window else { throw .stale(seconds: age) }
        guard seen.insert(nonce, at: clock.now()) else { throw .replayed }
        return SignedHead(sender: sender, bodyDigest: digest)
    }

    /// The sending node of a correctly signed, fresh, first-seen request with this body;
    /// otherwise why not.
    public func verify(
        method: String, path: String, body: some Collection<UInt8>, header: (String) -> String?
    ) throws(PeerAuthenticationError) -> NodeID {
        let head = try verifyHead(method: method, path: path, header: header)
        guard SHA256.hash(data: Array(body)).hexEncoded == head.bodyDigest else { throw .bodyAltered }
        return head.sender
    }

    /// The signature: lowercase hex of HMAC-SHA256, keyed with HKDF-SHA256(secret, no salt,
    /// info "streamhub peer request v1", 32 bytes), over the lines "streamhub-p2p-v1", the
    /// method, the path with its query, the node id, the timestamp (Unix milliseconds), the
    /// nonce (32 hex digits) and the lowercase hex SHA-256 of the body, joined by "\n". Any
    /// client holding the secret can sign the same way (the tests pin it against Python's hmac).
    func sign(method: String, path: String, node: String, timestamp: String, nonce: String, bodyDigest: String) -> String {
        let canonical = ["streamhub-p2p-v1", method.uppercased(), path, node, timestamp, nonce, bodyDigest].joined(separator: "\n")
        return HMAC<SHA256>.authenticationCode(for: Data(canonical.utf8), using: key).hexEncoded
    }

    static func isLowercaseHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Why a peer request was refused; the peer listener logs it and answers 401.
public enum PeerAuthenticationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsigned
    case malformed
    case badSignature
    case stale(seconds: TimeInterval)
    case replayed
    /// The body is not the one the signature covers.
    case bodyAltered

    public var description: String {
        switch self {
        case .unsigned: "the request is not signed"
        case .malformed: "the request's signature headers are malformed"
        case .badSignature: "the signature does not match (another secret, or the request was altered)"
        case .stale(let seconds): "the request is \(Int(seconds.rounded())) s from this hub's time, outside the window"
        case .replayed: "the request was seen before (a replay)"
        case .bodyAltered: "the body does not match the digest its signature covers (altered in flight)"
        }
    }
}

/// The nonces of recently accepted requests, each kept for `lifetime` (twice the time window,
/// so a replay is caught for as long as its timestamp could pass), then forgotten.
final class NonceRegistry: Sendable {
    private struct State {
        var expiry: [String: Date] = [:]
        var nextSweep = Date.distantPast
    }

    private let lifetime: TimeInterval
    private let state = Mutex(State())

    init(lifetime: TimeInterval) {
        self.lifetime = lifetime
    }

    /// Records `nonce`; false when it is already recorded (and not yet expired).
    func insert(_ nonce: String, at now: Date) -> Bool {
        state.withLock { state in
            if now >= state.nextSweep {
                state.expiry = state.expiry.filter { $0.value > now }
                state.nextSweep = now.addingTimeInterval(lifetime / 4)
            }
            if let expires = state.expiry[nonce], expires > now { return false }
            state.expiry[nonce] = now.addingTimeInterval(lifetime)
            return true
        }
    }

    var count: Int { state.withLock { $0.expiry.count } }
}
