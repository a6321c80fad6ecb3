import Foundation
import HTTPTypes
import HubCore
import HubMedia
import HubSync
import Hummingbird
import NIOCore

/// Byte-range streaming of stored videos per RFC 9110: single, suffix and open-ended ranges,
/// multipart/byteranges for several, conditional requests, and HEAD.
///
/// This is the hub's hottest path, measured against nginx: one metadata lookup, one `open`, then
/// large `pread`s handed straight to the socket writer with backpressure, nothing buffered whole.
///
/// A peer's shared video is served by the same code from other bytes: its ranges come from the
/// `PeerVideos` block fetcher (each block verified before a byte of it goes out), with the same
/// validators, since its SHA-256 is the same on every hub.
struct StreamController: Sendable {
    let videos: VideoService
    /// Plays peers' shared videos, when the peer network is on.
    let peerVideos: PeerVideos?
    /// `STREAM_REDIRECT`: "presigned" sends players to the store itself when it can.
    let streamRedirect: String?
    let metrics: StreamMetrics

    /// Long enough for a browser to play a long video on the one URL it was redirected to (it
    /// keeps sending its range requests there), short enough that a leaked link soon dies.
    static let presignedLifetimeSeconds = 3600

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("videos/:id/stream", use: stream)
        group.head("videos/:id/stream", use: stream)
        group.get("videos/:id/thumbnail", use: thumbnail)
        group.head("videos/:id/thumbnail", use: thumbnail)
        group.get("videos/:id/renditions/:name", use: rendition)
        group.head("videos/:id/renditions/:name", use: rendition)
        group.get("videos/:id/hls/:playlist", use: playlist)
        group.head("videos/:id/hls/:playlist", use: playlist)
        group.get("videos/:id/previews.vtt", use: previewTrack)
        group.get("videos/:id/previews/:sheet", use: previewSheet)
        group.head("videos/:id/previews/:sheet", use: previewSheet)
    }

    /// The adaptive ladder as HLS: `master.m3u8` lists the rungs, and `720p.m3u8` is a rung's
    /// media playlist, whose segments are byte ranges of `renditions/720p`. 404 for a video
    /// without a ladder (yet).
    @Sendable func playlist(_ request: Request, context: SignedInContext) async throws -> Response {
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        let ladder = video.origin == nil ? video.renditions.filter(\.isAdaptive) : []
        let name = context.parameters.get("playlist") ?? ""
        guard !ladder.isEmpty else { throw APIError.notFound("an adaptive ladder of video \(video.id)") }
        if name == "master.m3u8" {
            // A few lines made from the row: a ladder made again (a retry) changes it at once.
            let text = ByteBuffer(string: HLSMasterPlaylist.rendered(ladder) { "\($0.name).m3u8" })
            return Response(
                status: .ok,
                headers: [.contentType: HLSMediaPlaylist.contentType, .cacheControl: "private, no-cache", .contentLength: "\(text.readableBytes)"],
                body: request.method == .head ? .init() : ResponseBody(byteBuffer: text))
        }
        guard name.hasSuffix(".m3u8"), let rung = ladder.first(where: { "\($0.name).m3u8" == name }), let playlistKey = rung.playlistKey else {
            throw APIError.notFound("a playlist '\(name)' of video \(video.id)")
        }
        let key = try ObjectKey(playlistKey)
        let store = videos.store
        // Its rung's bytes decide it, so its validators derive from theirs.
        let validators = Validators(sha256: "hls-\(rung.name)-" + rung.sha256, lastModified: video.updatedAt)
        return try await serve(
            size: try await store.head(key).size, contentType: HLSMediaPlaylist.contentType, validators: validators, request: request
        ) { range in try await store.read(key, range: range) }
    }

    /// The seek previews' WebVTT thumbnails track; 404 for a video without previews.
    @Sendable func previewTrack(_ request: Request, context: SignedInContext) async throws -> Response {
        let (video, previews) = try await previews(context)
        let track = previews.webVTT(duration: video.media.durationSeconds ?? 0) { "/api/v1/videos/\(video.id)/previews/\($0 + 1)" }
        return Response(
            status: .ok, headers: [.contentType: "text/vtt; charset=utf-8", .cacheControl: "private, max-age=3600"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: track)))
    }

    /// Preview sheet n (from 1), a JPEG.
    @Sendable func previewSheet(_ request: Request, context: SignedInContext) async throws -> Response {
        let (video, previews) = try await previews(context)
        let raw = context.parameters.get("sheet") ?? ""
        guard let number = Int(raw), (1...previews.sheetKeys.count).contains(number) else {
            throw APIError.notFound("preview sheet '\(raw)' of video \(video.id)")
        }
        let key = try ObjectKey(previews.sheetKeys[number - 1])
        let store = videos.store
        // Derived from immutable bytes, so its validators derive from the video's.
        let validators = Validators(sha256: "preview-\(number)-" + video.sha256, lastModified: video.updatedAt)
        return try await serve(size: try await store.head(key).size, contentType: "image/jpeg", validators: validators, request: request) { range in
            try await store.read(key, range: range)
        }
    }

    private func previews(_ context: SignedInContext) async throws -> (Video, SeekPreviews) {
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        guard video.origin == nil, let previews = video.previews else { throw APIError.notFound("seek previews of video \(video.id)") }
        return (video, previews)
    }

    /// A rendition processing made (`playable`), with the stream's range and conditional
    /// semantics; its validators are its own bytes'.
    @Sendable func rendition(_ request: Request, context: SignedInContext) async throws -> Response {
        let start = ContinuousClock.now
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        let name = context.parameters.get("name") ?? ""
        guard video.origin == nil, let rendition = video.renditions.first(where: { $0.name == name }) else {
            throw APIError.notFound("a rendition '\(name)' of video \(video.id)")
        }
        let key = try ObjectKey(rendition.storageKey)
        if streamRedirect == "presigned",
            let url = videos.store.presignedURL(for: key, expiresIn: Self.presignedLifetimeSeconds, contentType: rendition.contentType)
        {
            return Response(status: .found, headers: [.location: url.absoluteString, .cacheControl: "private, no-store"])
        }
        let validators = Validators(sha256: rendition.sha256, lastModified: video.updatedAt)
        let measuring = StreamMeasurement(metrics: metrics, source: .store, start: start)
        return try await serve(
            size: rendition.sizeBytes, contentType: rendition.contentType, validators: validators, request: request, measuring: measuring
        ) {
            [store = videos.store] range in try await store.read(key, range: range)
        }
    }

    @Sendable func stream(_ request: Request, context: SignedInContext) async throws -> Response {
        let start = ContinuousClock.now
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        let validators = Validators(sha256: video.sha256, lastModified: video.createdAt)
        if video.origin != nil {
            let peerVideos = try peerSource(of: video)
            let measuring = StreamMeasurement(metrics: metrics, source: .peer, start: start)
            return try await serve(
                size: video.sizeBytes, contentType: video.contentType, validators: validators, request: request, measuring: measuring
            ) { range in
                try await peerVideos.bytes(range, of: video)
            }
        }
        let key = try ObjectKey(video.storageKey)
        if streamRedirect == "presigned",
            let url = videos.store.presignedURL(for: key, expiresIn: Self.presignedLifetimeSeconds, contentType: video.contentType)
        {
            // The access check above is the hub's part; the bytes come from S3 (or a CDN in
            // front of it). The redirect itself must not be cached past the URL's life.
            return Response(status: .found, headers: [.location: url.absoluteString, .cacheControl: "private, no-store"])
        }
        let measuring = StreamMeasurement(metrics: metrics, source: .store, start: start)
        return try await serve(
            size: video.sizeBytes, contentType: video.contentType, validators: validators, request: request, measuring: measuring
        ) { [store = videos.store] range in
            try await store.read(key, range: range)
        }
    }

    @Sendable func thumbnail(_ request: Request, context: SignedInContext) async throws -> Response {
        let video = try await videos.video(context.parameters.get("id"), for: context.user, may: .view)
        guard let thumbnailKey = video.thumbnailKey else { throw APIError.notFound("a thumbnail of video \(video.id)") }
        // The thumbnail is derived from immutable bytes, so its validators derive from the video's.
        let validators = Validators(sha256: "thumb-" + video.sha256, lastModified: video.createdAt)
        let store = videos.store
        let key = try ObjectKey(thumbnailKey)
        let size: Int64
        if video.origin != nil {
            // Fetched from a holder once, then kept under the same key.
            size = try await peerSource(of: video).keptThumbnail(of: video).size
        } else {
            size = try await store.head(key).size
        }
        return try await serve(size: size, contentType: "image/jpeg", validators: validators, request: request) { range in
            try await store.read(key, range: range)
        }
    }

    private func peerSource(of video: Video) throws -> PeerVideos {
        guard let peerVideos else {
            throw APIError(status: .serviceUnavailable, code: "peer_unavailable", message: "video \(video.id) is a peer's, and the peer network is off")
        }
        return peerVideos
    }

    /// Answers `request` for an object of `size` bytes whose ranges `open` reads.
    /// `measuring` a video's bytes (not a thumbnail's) into the stream figures.
    private func serve(
        size: Int64, contentType: String, validators: Validators, request: Request, measuring: StreamMeasurement? = nil,
        open: @escaping @Sendable (ClosedRange<Int64>) async throws -> ObjectByteStream
    ) async throws -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(8)
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = validators.etag
        headers[.lastModified] = HTTPDate.format(validators.lastModified)
        headers[.cacheControl] = "private, max-age=3600"

        let conditions = ConditionalRequest(
            ifMatch: request.headers[.ifMatch], ifNoneMatch: request.headers[.ifNoneMatch],
            ifModifiedSince: request.headers[.ifModifiedSince], ifUnmodifiedSince: request.headers[.ifUnmodifiedSince],
            ifRange: request.headers[.ifRange])
        var honourRange = true
        switch conditions.evaluate(against: validators) {
        case .notModified:
            return Response(status: .notModified, headers: headers)
        case .preconditionFailed:
            throw APIError(status: 412, code: "precondition_failed", message: "the video does not match If-Match / If-Unmodified-Since")
        case .proceed(let honour):
            honourRange = honour
        }

        let isHead = request.method == .head
        let rangeRequest = honourRange ? ByteRangeRequest.parse(request.headers[.range], size: size) : .whole
        switch rangeRequest {
        case .unsatisfiable:
            throw APIError(
                status: 416, code: "range_not_satisfiable",
                message: "the Range header asks for no bytes within the video's \(size) bytes",
                headers: ["Content-Range": "bytes */\(size)"])
        case .whole:
            headers[.contentType] = contentType
            return try await body(range: size == 0 ? nil : 0...(size - 1), status: .ok, headers: headers, isHead: isHead, measuring: measuring, open: open)
        case .single(let range):
            headers[.contentType] = contentType
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            return try await body(range: range, status: .partialContent, headers: headers, isHead: isHead, measuring: measuring, open: open)
        case .multiple(let ranges):
            return try await multipartBody(
                ranges: ranges, size: size, contentType: contentType, headers: headers, isHead: isHead, measuring: measuring, open: open)
        }
    }

    private func body(
        range: ClosedRange<Int64>?, status: HTTPResponse.Status, headers: HTTPFields, isHead: Bool, measuring: StreamMeasurement?,
        open: (ClosedRange<Int64>) async throws -> ObjectByteStream
    ) async throws -> Response {
        var headers = headers
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        headers[.contentLength] = String(length)
        guard !isHead, let range else { return Response(status: status, headers: headers, body: .init()) }
        // Opened here, before the status line goes out, so a missing object is a clean error
        // and a delete after this point cannot cut the stream short.
        let bytes = try await open(range)
        return Response(
            status: status, headers: headers,
            body: ResponseBody(contentLength: Int(length)) { writer in
                if let measuring {
                    var first = true
                    try await measuring.write(bytes, to: &writer, first: &first)
                } else {
                    for try await chunk in bytes { try await writer.write(chunk) }
                }
                try await writer.finish(nil)
            })
    }

    private func multipartBody(
        ranges: [ClosedRange<Int64>], size: Int64, contentType: String, headers: HTTPFields, isHead: Bool, measuring: StreamMeasurement?,
        open: (ClosedRange<Int64>) async throws -> ObjectByteStream
    ) async throws -> Response {
        let boundary = "streamhub-" + UUID().uuidString.lowercased()
        let partHeads = ranges.enumerated().map { index, range in
            (index == 0 ? "" : "\r\n") + "--\(boundary)\r\nContent-Type: \(contentType)\r\n"
                + "Content-Range: bytes \(range.lowerBound)-\(range.upperBound)/\(size)\r\n\r\n"
        }
        let tail = "\r\n--\(boundary)--\r\n"
        let length = partHeads.reduce(0) { $0 + $1.utf8.count } + tail.utf8.count
            + Int(ranges.reduce(Int64(0)) { $0 + $1.upperBound - $1.lowerBound + 1 })
        var headers = headers
        headers[.contentType] = "multipart/byteranges; boundary=\(boundary)"
        headers[.contentLength] = String(length)
        if isHead { return Response(status: .partialContent, headers: headers, body: .init()) }
        var opened: [ObjectByteStream] = []
        for range in ranges { opened.append(try await open(range)) }
        let streams = opened
        return Response(
            status: .partialContent, headers: headers,
            body: ResponseBody(contentLength: length) { writer in
                var first = true
                for (head, bytes) in zip(partHeads, streams) {
                    try await writer.write(ByteBuffer(string: head))
                    if let measuring {
                        try await measuring.write(bytes, to: &writer, first: &first)
                    } else {
                        for try await chunk in bytes { try await writer.write(chunk) }
                    }
                }
                try await writer.write(ByteBuffer(string: tail))
                try await writer.finish(nil)
            })
    }
}
