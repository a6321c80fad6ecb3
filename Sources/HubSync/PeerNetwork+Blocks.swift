import HubCore
import NIOCore

/// The answers to peers' requests for shared videos: manifests and runs of blocks, only of
/// shared videos held here whole. What a peer may not have is not found, so a private video's id
/// tells the asker nothing.
extension PeerNetwork {
    /// `POST /p2p/v1/manifest`.
    public func manifest(_ request: PeerMessage.ManifestRequest, from node: NodeID) async throws -> PeerBytes {
        _ = await membership.heard(from: node)
        guard let manifest = try await library.manifest(of: request.video) else { throw PeerError.videoNotHeld(request.video) }
        return .whole(manifest.encoded())
    }

    /// `POST /p2p/v1/thumbnail`. A thumbnail larger than any ffmpeg makes is not sent: the
    /// asker would refuse it anyway.
    public func thumbnail(_ request: PeerMessage.ThumbnailRequest, from node: NodeID) async throws -> PeerBytes {
        _ = await membership.heard(from: node)
        guard let bytes = try await library.thumbnail(of: request.video), bytes.count <= PeerMessage.maxThumbnailBytes else {
            throw PeerError.videoNotHeld(request.video)
        }
        return .stream(bytes)
    }

    /// `POST /p2p/v1/blocks`.
    public func blocks(_ request: PeerMessage.BlocksRequest, from node: NodeID) async throws -> PeerBytes {
        _ = await membership.heard(from: node)
        guard let manifest = try await library.manifest(of: request.video) else { throw PeerError.videoNotHeld(request.video) }
        let run = try request.run(in: manifest)
        guard let bytes = try await library.bytes(ofBlocks: run, of: request.video, in: manifest) else {
            throw PeerError.videoNotHeld(request.video)
        }
        metrics.update {
            $0.blocksSent += run.count
            $0.blockBytesSent += bytes.count
        }
        guard let sending else { return .stream(bytes) }
        return .stream(bytes.beforeEachChunk { try await sending.take($0.readableBytes) })
    }
}
