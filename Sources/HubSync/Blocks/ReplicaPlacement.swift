import Crypto
import HubCore

/// Which hubs keep a shared video whole besides its origin: rendezvous (highest random weight)
/// hashing. Each candidate scores `SHA-256(video | node)`; the highest scores hold it. Every hub
/// that knows the same alive hubs picks the same holders without asking anyone, and when one of
/// them goes, only the videos it held move (to the next highest score), not everything.
enum ReplicaPlacement {
    /// The `count` candidates (the origin excluded) that hold `video`, highest score first.
    static func holders(of video: VideoID, origin: NodeID, among candidates: some Sequence<NodeID>, count: Int) -> [NodeID] {
        guard count > 0 else { return [] }
        return Set(candidates).subtracting([origin])
            .map { ($0, score(video, $0)) }
            .sorted { ($0.1, $0.0.rawValue) > ($1.1, $1.0.rawValue) }
            .prefix(count)
            .map(\.0)
    }

    static func score(_ video: VideoID, _ node: NodeID) -> UInt64 {
        let digest = SHA256.hash(data: Array("\(video.rawValue)|\(node.rawValue)".utf8))
        return digest.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }
}
