import Crypto
import Foundation
import HubCore
import Synchronization
import Testing

@testable import HubSync

@Suite struct PeerRequestAuthenticatorTests {
    final class TestClock: WallClock {
        let current = Mutex(Date(timeIntervalSince1970: 1_790_000_000))
        func now() -> Date { current.withLock { $0 } }
        func advance(by seconds: TimeInterval) { current.withLock { $0.addTimeInterval(seconds) } }
    }

    let east = NodeID("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee")!
    let west = NodeID("11111111111111111111111111111111")!
    let body = Array(#"{"changes": []}"#.utf8)

    func verify(
        _ receiver: PeerRequestAuthenticator, _ headers: [String: String], method: String = "POST", path: String = "/p2p/v1/changes",
        body: [UInt8]? = nil
    ) -> Result<NodeID, PeerAuthenticationError> {
        Result { () throws(PeerAuthenticationError) -> NodeID in
            try receiver.verify(method: method, path: path, body: body ?? self.body) { headers[$0] }
        }
    }

    @Test func aSignedRequestIsAcceptedOnceAndNamesItsSender() {
        let clock = TestClock()
        let sender = PeerRequestAuthenticator(secret: "cluster secret", node: east, clock: clock)
        let receiver = PeerRequestAuthenticator(secret: "cluster secret", node: west, clock: clock)
        let headers = sender.headers(method: "POST", path: "/p2p/v1/changes", body: body)
        #expect(verify(receiver, headers) == .success(east))
        #expect(verify(receiver, headers) == .failure(.replayed), "the same request again is a replay")
        let another = sender.headers(method: "POST", path: "/p2p/v1/changes", body: body)
        #expect(verify(receiver, another) == .success(east), "a new request with the same body is fine")
    }

    @Test func anythingAlteredOrForgedIsRefused() {
        let clock = TestClock()
        let sender = PeerRequestAuthenticator(secret: "cluster secret", node: east, clock: clock)
        let receiver = PeerRequestAuthenticator(secret: "cluster secret", node: west, clock: clock)
        let stranger = PeerRequestAuthenticator(secret: "another secret", node: east, clock: clock)
        let headers = sender.headers(method: "POST", path: "/p2p/v1/changes", body: body)
        #expect(verify(receiver, headers, method: "DELETE") == .failure(.badSignature))
        #expect(verify(receiver, headers, path: "/p2p/v1/peers") == .failure(.badSignature))
        // The headers are checked (and their nonce spent) before the body: an altered body is
        // caught at its end, so it is tried on a request of its own.
        let altered = sender.headers(method: "POST", path: "/p2p/v1/changes", body: body)
        #expect(verify(receiver, altered, body: Array(#"{"changes": [1]}"#.utf8)) == .failure(.bodyAltered))
        var otherDigest = headers
        otherDigest[PeerRequestAuthenticator.contentDigestHeader] = String(repeating: "0", count: 64)
        #expect(verify(receiver, otherDigest) == .failure(.badSignature), "the declared digest is signed")
        var otherNode = headers
        otherNode[PeerRequestAuthenticator.nodeHeader] = west.rawValue
        #expect(verify(receiver, otherNode) == .failure(.badSignature), "a sender cannot claim another node's id")
        #expect(verify(receiver, stranger.headers(method: "POST", path: "/p2p/v1/changes", body: body)) == .failure(.badSignature))
        #expect(verify(receiver, [:]) == .failure(.unsigned))
        var partial = headers
        partial[PeerRequestAuthenticator.signatureHeader] = nil
        #expect(verify(receiver, partial) == .failure(.unsigned))
        for (header, value) in [
            (PeerRequestAuthenticator.nodeHeader, "not-a-node"), (PeerRequestAuthenticator.timestampHeader, "soon"),
            (PeerRequestAuthenticator.nonceHeader, "short"), (PeerRequestAuthenticator.nonceHeader, String(repeating: "Z", count: 32)),
            (PeerRequestAuthenticator.timestampHeader, "9223372036854775807000"), (PeerRequestAuthenticator.timestampHeader, "-5"),
            (PeerRequestAuthenticator.contentDigestHeader, "abc"), (PeerRequestAuthenticator.signatureHeader, String(repeating: "a", count: 100_000)),
        ] {
            var broken = headers
            broken[header] = value
            #expect(verify(receiver, broken) == .failure(.malformed), "\(header): \(value)")
        }
        #expect(verify(receiver, headers) == .success(east), "the untouched request still passes")
    }

    @Test func staleAndFutureRequestsAreRefused() {
        let senderClock = TestClock()
        let receiverClock = TestClock()
        let sender = PeerRequestAuthenticator(secret: "s", node: east, clock: senderClock)
        let receiver = PeerRequestAuthenticator(secret: "s", node: west, clock: receiverClock, window: 60)
        let old = sender.headers(method: "GET", path: "/p2p/v1/digest", body: [])
        receiverClock.advance(by: 61)
        #expect(verify(receiver, old, method: "GET", path: "/p2p/v1/digest", body: []) == .failure(.stale(seconds: 61)))
        senderClock.advance(by: 122)
        let early = sender.headers(method: "GET", path: "/p2p/v1/digest", body: [])
        #expect(verify(receiver, early, method: "GET", path: "/p2p/v1/digest", body: []) == .failure(.stale(seconds: -61)))
        senderClock.advance(by: -60)
        let fresh = sender.headers(method: "GET", path: "/p2p/v1/digest", body: [])
        #expect(verify(receiver, fresh, method: "GET", path: "/p2p/v1/digest", body: []) == .success(east))
    }

    @Test func rememberedNoncesExpire() {
        let registry = NonceRegistry(lifetime: 120)
        let start = Date(timeIntervalSince1970: 0)
        #expect(registry.insert("a", at: start))
        #expect(!registry.insert("a", at: start.addingTimeInterval(119)))
        for index in 0..<100 { #expect(registry.insert("n\(index)", at: start.addingTimeInterval(10))) }
        #expect(registry.insert("b", at: start.addingTimeInterval(200)), "after a lifetime the registry sweeps")
        #expect(registry.count == 1, "only the nonce inserted after the sweep is left")
        #expect(registry.insert("a", at: start.addingTimeInterval(200)))
    }

    /// The wire format is a contract: this value was computed with Python's `hmac` and the
    /// `cryptography` package's HKDF from the documented recipe.
    @Test func theSignatureFollowsTheDocumentedRecipe() {
        let authenticator = PeerRequestAuthenticator(secret: "cluster secret", node: east, clock: TestClock())
        let signature = authenticator.sign(
            method: "post", path: "/p2p/v1/changes", node: east.rawValue, timestamp: "1790000000000",
            nonce: "0123456789abcdef0123456789abcdef", bodyDigest: SHA256.hash(data: body).hexEncoded)
        #expect(signature == "dc98a8917cc7955d0ebc2c5c6c9e9333aabe10f87812e7f24dd382ef7ca3c304")
    }

    @Test func signaturesCompareInConstantTimeButCorrectly() {
        #expect(ConstantTime.equal("abc", "abc"))
        #expect(!ConstantTime.equal("abc", "abd"))
        #expect(!ConstantTime.equal("abc", "abcd"))
    }
}
