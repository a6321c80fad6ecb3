import Crypto
import Foundation
import HubCore
import NIOCore

/// A request of the peer protocol (`POST /p2p/v1/{path}`, DESIGN.md), the answer it gets, and
/// how a `PeerNetwork` answers it. The peer listener and the in-memory transport of the tests
/// both route a request through `answer(on:from:remoteHost:)`, so there is one dispatch.
public protocol PeerRequest: Codable, Sendable {
    associatedtype Answer: Codable & Sendable
    static var path: String { get }
    /// `network`'s answer to this request from `sender`, whose signature has been checked;
    /// `remoteHost` is the address the request came from, when known.
    func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> Answer
}

extension PeerMessage.Hello: PeerRequest {
    public static let path = "hello"
    public func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> PeerMessage.Hello {
        try await network.hello(self, from: sender, remoteHost: remoteHost)
    }
}

extension PeerMessage.Gossip: PeerRequest {
    public static let path = "gossip"
    public func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> PeerMessage.GossipReceipt {
        try await network.gossip(self, from: sender)
    }
}

extension PeerMessage.Digest: PeerRequest {
    public static let path = "digest"
    public func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> PeerMessage.Digest {
        try await network.digest(self, from: sender)
    }
}

extension PeerMessage.Pull: PeerRequest {
    public static let path = "pull"
    public func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> PeerMessage.PullResponse {
        try await network.pull(self, from: sender)
    }
}

extension PeerMessage.CatalogueEntries: PeerRequest {
    public static let path = "catalogue"
    public func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> PeerMessage.CatalogueReceipt {
        try await network.catalogueGossip(self, from: sender)
    }
}

extension PeerMessage.CatalogueDigest: PeerRequest {
    public static let path = "catalogue/digest"
    public func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> PeerMessage.CatalogueDigest {
        try await network.catalogueDigest(self, from: sender)
    }
}

extension PeerMessage.CataloguePull: PeerRequest {
    public static let path = "catalogue/pull"
    public func answer(on network: PeerNetwork, from sender: NodeID, remoteHost: String?) async throws -> PeerMessage.CatalogueEntries {
        try await network.cataloguePull(self, from: sender)
    }
}

/// A request of the peer protocol answered with bytes rather than JSON (a manifest, blocks of a
/// video): signed and sent like the others, answered as `application/octet-stream`.
public protocol PeerBytesRequest: Codable, Sendable {
    static var path: String { get }
    func answer(on network: PeerNetwork, from sender: NodeID) async throws -> PeerBytes
}

/// The bytes of an answer: small ones whole, blocks read from the store as they are sent.
public enum PeerBytes: Sendable {
    case whole(ByteBuffer)
    case stream(ObjectByteStream)

    public var count: Int64 {
        switch self {
        case .whole(let buffer): Int64(buffer.readableBytes)
        case .stream(let stream): stream.count
        }
    }
}

extension PeerMessage.ManifestRequest: PeerBytesRequest {
    public static let path = "manifest"
    public func answer(on network: PeerNetwork, from sender: NodeID) async throws -> PeerBytes {
        try await network.manifest(self, from: sender)
    }
}

extension PeerMessage.ThumbnailRequest: PeerBytesRequest {
    public static let path = "thumbnail"
    public func answer(on network: PeerNetwork, from sender: NodeID) async throws -> PeerBytes {
        try await network.thumbnail(self, from: sender)
    }
}

extension PeerMessage.BlocksRequest: PeerBytesRequest {
    public static let path = "blocks"
    public func answer(on network: PeerNetwork, from sender: NodeID) async throws -> PeerBytes {
        try await network.blocks(self, from: sender)
    }
}

/// How this hub's requests reach other hubs: signed HTTP in a running hub
/// (`HTTPPeerTransport`), wired in memory in the tests, where messages can be dropped,
/// delayed, duplicated and partitioned.
public protocol PeerTransport: Sendable {
    /// `request`'s answer from the hub at `address`; throws `PeerUnanswered` when there is none.
    func send<Request: PeerRequest>(_ request: Request, to address: PeerAddress) async throws -> Request.Answer
    /// The bytes the hub at `address` answers `request` with, when there are at most `limit` of
    /// them; throws `PeerUnanswered` otherwise (a refusal's JSON error body says why).
    func fetch<Request: PeerBytesRequest>(_ request: Request, from address: PeerAddress, limit: Int) async throws -> FetchedBytes
}

/// The bytes of a peer's answer and their SHA-256, hashed as they arrived: a block is verified
/// while it is still on its way, not in a second pass once it is whole (1.2 ms per MiB here, in
/// front of a seek's first byte).
public struct FetchedBytes: Sendable {
    public var bytes: ByteBuffer
    public var sha256: BlockHash

    public init(bytes: ByteBuffer, sha256: BlockHash) {
        self.bytes = bytes
        self.sha256 = sha256
    }
}

extension BlockHash {
    /// A SHA-256 digest is always 32 bytes, so this cannot fail.
    init(_ digest: SHA256.Digest) {
        self.init(digest: digest)!
    }
}

/// A request that got no usable answer: the peer could not be reached, refused it, or answered
/// something this hub cannot read. The failure detector counts it against the peer.
public struct PeerUnanswered: Error, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
