import Crypto
import Foundation
import HubCore
import HubDatabase
import HubMedia
import HubNotes
import Logging
import NIOCore
import Synchronization

@testable import HubSync

/// Hubs wired to each other in memory through `PeerTransport`: every request and answer goes
/// through JSON as on the wire and is answered by the same `PeerRequest.answer` the HTTP
/// listener calls, but nothing sleeps and nothing is random, so a test decides what each
/// message meets.
final class InMemoryPeers: Sendable {
    /// What happens to one request.
    enum Fault: Sendable {
        /// Never arrives; the sender hears nothing.
        case drop
        /// Arrives and is acted on; the answer is lost, so the sender counts a failure.
        case loseAnswer
        /// Arrives twice; the sender gets the second answer.
        case duplicate
        /// Arrives only when the test calls `deliverDelayed()`; the sender gives up first.
        case delay
    }

    /// A request on its way, as a fault rule sees it.
    struct Envelope: Sendable {
        var from: PeerAddress
        var to: PeerAddress
        var path: String
    }

    private struct State {
        var hubs: [PeerAddress: PeerNetwork] = [:]
        var groups: [[PeerAddress]] = []
        var rule: (@Sendable (Envelope) -> Fault?)?
        var delayed: [@Sendable () async -> Void] = []
        var delivered: [String: Int] = [:]
    }

    private let state = Mutex(State())

    func attach(_ network: PeerNetwork, at address: PeerAddress) {
        state.withLock { $0.hubs[address] = network }
    }

    /// The transport of the hub at `address`, whose requests are signed by `node`.
    func transport(from address: PeerAddress, node: NodeID) -> any PeerTransport {
        Transport(peers: self, address: address, node: node)
    }

    /// Splits the hubs: requests between addresses in different groups are dropped.
    func partition(_ groups: [[PeerAddress]]) { state.withLock { $0.groups = groups } }
    func heal() { state.withLock { $0.groups = [] } }
    func faults(_ rule: (@Sendable (Envelope) -> Fault?)?) { state.withLock { $0.rule = rule } }

    /// How many requests of `path` reached a hub.
    func delivered(_ path: String) -> Int { state.withLock { $0.delivered[path] ?? 0 } }

    /// Delivers the delayed requests, oldest first.
    func deliverDelayed() async {
        let pending = state.withLock { state in
            defer { state.delayed.removeAll() }
            return state.delayed
        }
        for delivery in pending { await delivery() }
    }

    fileprivate func send<Request: PeerRequest>(_ request: Request, from sender: PeerAddress, node: NodeID, to address: PeerAddress) async throws -> Request.Answer {
        let envelope = Envelope(from: sender, to: address, path: Request.path)
        let (target, fault) = state.withLock { state -> (PeerNetwork?, Fault?) in
            let split = !state.groups.isEmpty && !state.groups.contains { $0.contains(sender) && $0.contains(address) }
            return (state.hubs[address], split ? .drop : state.rule?(envelope))
        }
        guard let target, fault != .drop else { throw PeerUnanswered("\(address) cannot be reached") }
        // As on the wire: the receiver decodes what the sender encoded, and the other way round.
        let wire = try JSONEncoder().encode(request)
        let deliver: @Sendable () async throws -> Data = {
            self.state.withLock { $0.delivered[Request.path, default: 0] += 1 }
            let received = try JSONDecoder().decode(Request.self, from: wire)
            return try JSONEncoder().encode(try await received.answer(on: target, from: node, remoteHost: sender.host))
        }
        switch fault {
        case .delay:
            state.withLock { $0.delayed.append { _ = try? await deliver() } }
            throw PeerUnanswered("\(address) did not answer in time")
        case .loseAnswer:
            _ = try await deliver()
            throw PeerUnanswered("\(address) did not answer in time")
        case .duplicate:
            _ = try? await deliver()
            return try JSONDecoder().decode(Request.Answer.self, from: try await deliver())
        case .drop, nil:
            do {
                return try JSONDecoder().decode(Request.Answer.self, from: try await deliver())
            } catch let error as any DomainError {
                throw PeerUnanswered("\(error)")
            }
        }
    }

    private struct Transport: PeerTransport {
        let peers: InMemoryPeers
        let address: PeerAddress
        let node: NodeID

        func send<Request: PeerRequest>(_ request: Request, to target: PeerAddress) async throws -> Request.Answer {
            try await peers.send(request, from: address, node: node, to: target)
        }

        func fetch<Request: PeerBytesRequest>(_ request: Request, from target: PeerAddress, limit: Int) async throws -> FetchedBytes {
            FetchedBytes(hashing: try await peers.fetch(request, from: address, node: node, to: target, limit: limit))
        }
    }

    fileprivate func fetch<Request: PeerBytesRequest>(
        _ request: Request, from sender: PeerAddress, node: NodeID, to address: PeerAddress, limit: Int
    ) async throws -> ByteBuffer {
        let (target, split) = state.withLock { state in
            (state.hubs[address], !state.groups.isEmpty && !state.groups.contains { $0.contains(sender) && $0.contains(address) })
        }
        guard let target, !split else { throw PeerUnanswered("\(address) cannot be reached") }
        state.withLock { $0.delivered[Request.path, default: 0] += 1 }
        let received = try JSONDecoder().decode(Request.self, from: try JSONEncoder().encode(request))
        let answer: PeerBytes
        do {
            answer = try await received.answer(on: target, from: node)
        } catch let error as any DomainError {
            throw PeerUnanswered("\(error)")
        }
        guard answer.count <= limit else { throw PeerUnanswered("an answer of \(answer.count) bytes, more than \(limit)") }
        switch answer {
        case .whole(let buffer): return buffer
        case .stream(let stream):
            var whole = ByteBuffer()
            for try await var chunk in stream { whole.writeBuffer(&chunk) }
            return whole
        }
    }
}

/// One hub of an in-memory cluster: a notepad and a video catalogue on an in-memory database,
/// and its peer network.
struct MemoryHub {
    let address: PeerAddress
    let network: PeerNetwork
    let notepad: NotepadService
    let catalogue: VideoCatalogue
    let database: HubDatabase
    let user = User(id: UserID(), name: "alice", role: .admin, passwordHash: "", isDisabled: false, sessionGeneration: 0, createdAt: Date())

    init(_ name: String, port: Int, peers: InMemoryPeers, clock: any WallClock, library: any SharedLibrary = NoSharedVideos()) throws {
        address = PeerAddress(host: "127.0.0.1", port: port)!
        database = try HubDatabase.inMemory()
        var logger = Logger(label: name)
        logger.logLevel = .critical
        let identity = NodeIdentity(id: .random(), name: name)
        notepad = NotepadService(
            notes: database.notes, videos: database.videos, analytics: database.noteAnalytics,
            mirror: try NoteMirror(directory: NSTemporaryDirectory() + "notes-" + UUID().uuidString, logger: logger), syncLog: database.syncLog,
            node: identity, clock: clock, logger: logger)
        catalogue = VideoCatalogue(
            repository: database.catalogue, videos: database.videos, accounts: database.accounts, node: identity, clock: clock, logger: logger)
        network = PeerNetwork(
            settings: .init(
                port: port, host: "127.0.0.1", seeds: [], fanout: 8, gossipInterval: .seconds(1), antiEntropyInterval: .seconds(5),
                multicastDNS: false),
            identity: identity, notepad: notepad, catalogue: catalogue, library: library, peers: database.peers,
            authenticator: .forHub(secret: "in-memory", node: identity.id, clock: clock),
            transport: peers.transport(from: address, node: identity.id), clock: clock, logger: logger)
        peers.attach(network, at: address)
    }

    /// `count` hubs on `peers` (ports from `port`) that each know every other and have probed
    /// them all once, so every one is alive to every other.
    static func cluster(_ count: Int, on peers: InMemoryPeers, from port: Int, clock: ManualClock) async throws -> [MemoryHub] {
        let hubs = try (0..<count).map { try MemoryHub("hub-\($0)", port: port + $0, peers: peers, clock: clock) }
        for hub in hubs {
            for other in hubs where other.address != hub.address {
                await hub.network.membership.add(other.address, name: nil, source: .configured)
            }
        }
        clock.advance(by: 60)
        for hub in hubs { await hub.network.probeRound() }
        return hubs
    }

    /// The shared notes here, by id, as (title, content).
    func notes() async throws -> [NoteID: String] {
        let page = try await notepad.list(NoteQuery(fullContent: true, visibility: .everything, limit: 100), for: user)
        return Dictionary(uniqueKeysWithValues: page.items.map { ($0.note.id, $0.note.content) })
    }

    func state(of other: MemoryHub) async -> PeerState? {
        await network.membership.statuses().first { $0.address == other.address }?.state
    }
}

/// A library without shared videos, for the notes' tests.
struct NoSharedVideos: SharedLibrary {
    func manifest(of video: VideoID) async throws -> BlockManifest? { nil }
    func bytes(ofBlocks blocks: ClosedRange<Int>, of video: VideoID, in manifest: BlockManifest) async throws -> ObjectByteStream? { nil }
    func thumbnail(of video: VideoID) async throws -> ObjectByteStream? { nil }
}

extension FetchedBytes {
    /// Hashes `bytes` whole: the in-memory transport hands answers over in one piece.
    init(hashing bytes: ByteBuffer) {
        self.init(bytes: bytes, sha256: BlockHash(bytes.withUnsafeReadableBytes { SHA256.hash(data: $0) }))
    }
}
