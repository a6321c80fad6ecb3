import HubAPI
import HubCore
import HubMedia
import HubSync
import Hummingbird

/// Admins pin a peer's shared video to keep a whole copy of it here (`POST`), and unpin it
/// (`DELETE`): for a video the team needs even if every other holder goes away.
struct VideoPinController: Sendable {
    let videos: VideoService
    let peerVideos: PeerVideos?

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.post("videos/:id/pin", use: pin)
        group.delete("videos/:id/pin", use: unpin)
    }

    @Sendable func pin(_ request: Request, context: SignedInContext) async throws -> VideoPinResource {
        let (video, peerVideos) = try await peerVideo(context)
        try await peerVideos.pin(video.id)
        return VideoPinResource(video: video.id.rawValue, pinned: true)
    }

    @Sendable func unpin(_ request: Request, context: SignedInContext) async throws -> VideoPinResource {
        let (video, peerVideos) = try await peerVideo(context)
        try await peerVideos.unpin(video.id)
        return VideoPinResource(video: video.id.rawValue, pinned: false)
    }

    private func peerVideo(_ context: SignedInContext) async throws -> (Video, PeerVideos) {
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        guard context.user.isAdmin else { throw APIError(status: .forbidden, code: "forbidden", message: "only admins pin videos") }
        guard video.origin != nil, let peerVideos else {
            throw APIError(status: .conflict, code: "not_a_peer_video", message: "video \(video.id) is this hub's own: it is kept whole here already")
        }
        return (video, peerVideos)
    }
}

extension VideoPinResource: ResponseEncodable {}
