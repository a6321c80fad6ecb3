import Crypto
import Foundation
import HubCore
import Synchronization

/// Signs and checks the peer protocol's requests (DESIGN.md: every request under `/p2p/v1` is
/// signed with `P2P_SECRET`). A request carries its sender's node id, the time, a random nonce
/// and an HMAC-SHA256 over method, path, those three and the SHA-256 of its body, so a hub
/// without the secret can neither forge a request nor alter one in flight; one outside the time
/// window (stale, or from a badly wrong clock) or seen before (replayed) is refused.
///
/// The HMAC key is derived from the secret with HKDF under its own purpose, so the cluster
/// secret is never used as a key directly and cannot sign anything else the hub signs.
public struct PeerRequestAuthenticator: Sendable {
    public static let nodeHeader = "Stream-Hub-Node"
    public static let timestampHeader = "Stream-Hub-Timestamp"
    public static let nonceHeader = "Stream-Hub-Nonce"
    public static let signatureHeader = "Stream-Hub-Signature"

    private let key: SymmetricKey
    private let node: NodeID
    private let clock: any WallClock
    /// How far a request's time may be from ours, either way.
    public let window: TimeInterval
    private let seen: NonceRegistry

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
        let signature = sign(method: method, path: path, node: node.rawValue, timestamp: timestamp, nonce: nonce, body: body)
        return [Self.nodeHeader: node.rawValue, Self.timestampHeader: timestamp, Self.nonceHeader: nonce, Self.signatureHeader: signature]
    }

    /// The sending node of a correctly signed, fresh, first-seen request; otherwise why not.
    /// `header` looks a header up by name.
    public func verify(
        method: String, path: String, body: some Collection<UInt8>, header: (String) -> String?
    ) throws(PeerAuthenticationError) -> NodeID {
        guard let nodeValue = header(Self.nodeHeader), let timestamp = header(Self.timestampHeader),
            let nonce = header(Self.nonceHeader), let signature = header(Self.signatureHeader)
        else { throw .unsigned }
        guard let sender = NodeID(nodeValue), let milliseconds = Int64(timestamp), nonce.utf8.count == 32,
            nonce.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { throw .malformed }
        let expected = sign(method: method, path: path, node: nodeValue, timestamp: timestamp, nonce: nonce, body: body)
        // Compared in constant time, so response timing reveals nothing about the signature.
        guard Self.constantTimeEqual(expected, signature) else { throw .badSignature }
        let age = clock.now().timeIntervalSince1970 - Double(milliseconds) / 1000
        guard abs(age) <= window else { throw .stale(seconds: age) }
        guard seen.insert(nonce, at: clock.now()) else { throw .replayed }
        return sender
    }

    /// The signature: lowercase hex of HMAC-SHA256, keyed with HKDF-SHA256(secret, no salt,
    /// info "streamhub peer request v1", 32 bytes), over the lines "streamhub-p2p-v1", the
    /// method, the path with its query, the node id, the timestamp (Unix milliseconds), the
    /// nonce (32 hex digits) and the lowercase hex SHA-256 of the body, joined by "\n". Any
    /// client holding the secret can sign the same way (the tests pin it against Python's hmac).
    func sign(method: String, path: String, node: String, timestamp: String, nonce: String, body: some Collection<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(body)).hexEncoded
        let canonical = ["streamhub-p2p-v1", method.uppercased(), path, node, timestamp, nonce, digest].joined(separator: "\n")
        return HMAC<SHA256>.authenticationCode(for: Data(canonical.utf8), using: key).hexEncoded
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Why a peer request was refused; the peer listener logs it and answers 401.
public enum PeerAuthenticationError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsigned
    case malformed
    case badSignature
    case stale(seconds: TimeInterval)
    case replayed

    public var description: String {
        switch self {
        case .unsigned: "the request is not signed"
        case .malformed: "the request's signature headers are malformed"
        case .badSignature: "the signature does not match (another secret, or the request was altered)"
        case .stale(let seconds): "the request is \(Int(seconds.rounded())) s from this hub's time, outside the window"
        case .replayed: "the request was seen before (a replay)"
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
