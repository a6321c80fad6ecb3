import Crypto
import Foundation
import HubCore
import HubSystem
import Logging
import NIOCore

/// The tus 1.0.0 resumable upload protocol's server side (core, creation, creation-with-upload,
/// termination, checksum, expiration), independent of the HTTP framework: HubWeb translates
/// headers to these calls and results back to headers.
///
/// Durability rule: an upload's recorded offset only moves after the bytes below it are fsynced,
/// and `HEAD` reports that recorded offset. A client resuming after a dropped connection or a
/// server restart therefore never skips bytes the server could have lost.
public struct TusUploadService: Sendable {
    public struct Settings: Sendable {
        public var maxUploadBytes: Int64
        public var expiry: Duration

        public init(maxUploadBytes: Int64, expiry: Duration) {
            self.maxUploadBytes = maxUploadBytes
            self.expiry = expiry
        }
    }

    /// The state of an upload after a request, for the response headers.
    public struct Progress: Sendable {
        public var upload: UploadRecord
        /// Set once the upload became a video.
        public var videoID: VideoID?
        /// That video's processing status, when asked for (`HEAD`).
        public var videoStatus: VideoStatus?

        public init(upload: UploadRecord, videoID: VideoID?, videoStatus: VideoStatus? = nil) {
            self.upload = upload
            self.videoID = videoID
            self.videoStatus = videoStatus
        }
    }

    let uploads: any UploadRepository
    let videos: any VideoRepository
    let ingestor: VideoIngestor
    let staging: UploadStaging
    let clock: any WallClock
    let settings: Settings
    let metrics: UploadMetrics
    let logger: Logger
    /// The other instances' writers, when several share the database; nil for one process.
    let locks: (any UploadLocks)?
    /// Where uploads in progress wait when it is not a staging file: parts in the object store
    /// (S3), which every instance reaches without a shared disk.
    let parts: (any ObjectStore & UploadPartStore)?
    private let sessions = UploadSessions()

    public init(
        uploads: any UploadRepository, videos: any VideoRepository, ingestor: VideoIngestor, staging: UploadStaging,
        clock: any WallClock, settings: Settings, locks: (any UploadLocks)? = nil, parts: (any ObjectStore & UploadPartStore)? = nil,
        metrics: UploadMetrics = .disabled, logger: Logger
    ) {
        self.metrics = metrics
        self.locks = locks
        self.parts = parts
        self.uploads = uploads
        self.videos = videos
        self.ingestor = ingestor
        self.staging = staging
        self.clock = clock
        self.settings = settings
        self.logger = logger
    }

    /// tus creation: registers an upload of `length` bytes.
    public func create(length: Int64, metadata: [String: String], owner: UserID) async throws -> UploadRecord {
        guard length >= 0 else { throw InvalidInput("Upload-Length must be a non-negative integer", code: "invalid_upload_length") }
        guard length <= settings.maxUploadBytes else { throw UploadError.tooLarge(limit: settings.maxUploadBytes) }
        let now = clock.now()
        var record = UploadRecord(
            id: UploadID(), length: length, offset: 0, metadata: metadata, createdAt: now,
            expiresAt: now.addingTimeInterval(settings.expiry.seconds), ownerID: owner)
        if let parts {
            // The hub serves the type it sniffs once the upload is complete; the stored object
            // carries the uploader's claim (S3 is told the sniffed one on presigned reads).
            let claimed = UploadDescription(metadata: metadata).claimedContentType
            record.multipartUploadID = try await parts.beginParts(of: record, into: destination(of: record), contentType: claimed)
        } else {
            _ = try await staging.openPartial(record.id, at: 0)
        }
        do {
            try await uploads.insert(record)
        } catch {
            await removeBytes(of: record)
            throw error
        }
        logger.info("upload created", metadata: ["upload.id": "\(record.id)", "upload.length": "\(length)"])
        return record
    }

    /// tus HEAD: the durable offset, and once the upload is a video, that video's status. Expired
    /// uploads are gone (410) even before the sweeper runs.
    public func status(_ id: UploadID) async throws -> Progress {
        let record = try await liveRecord(id)
        // A client that uploaded learns here whether its video is still processing, ready or
        // failed (then `GET /api/v1/videos/{id}` says why).
        let status = if let videoID = record.videoID { try await videos.find(videoID)?.processing.status } else { VideoStatus?.none }
        return Progress(upload: record, videoID: record.videoID, videoStatus: status)
    }

    /// tus PATCH: appends `body` at `offset`. A body that ends early (client gone) keeps what
    /// arrived, unless a checksum was given — then an incomplete chunk cannot be verified and is
    /// discarded, as the checksum extension requires.
    public func append(
        _ id: UploadID, at offset: Int64, declaredLength: Int64?, checksum: UploadChecksum?,
        body: some AsyncSequence<ByteBuffer, any Error>
    ) async throws -> Progress {
        try await exclusively(id) { lease in
            try await appendClaimed(id, at: offset, declaredLength: declaredLength, checksum: checksum, lease: lease, body: body)
        }
    }

    /// Runs `body` while holding `id`'s write claim, in this process and (with `locks`) across
    /// every instance; a second concurrent request, here or on another instance, gets 423, which
    /// tus clients retry.
    private func exclusively<T: Sendable>(_ id: UploadID, _ body: ((any Lease)?) async throws -> T) async throws -> T {
        guard await sessions.claim(id) else {
            throw UploadError.locked
        }
        let lease: (any Lease)?
        do {
            lease = try await locks?.acquire(id)
        } catch {
            await sessions.release(id)
            throw error
        }
        guard locks == nil || lease != nil else {
            await sessions.release(id)
            throw UploadError.locked
        }
        do {
            let result = try await body(lease)
            await lease?.release()
            await sessions.release(id)
            return result
        } catch {
            await lease?.release()
            await sessions.release(id)
            throw error
        }
    }

    private func appendClaimed(
        _ id: UploadID, at offset: Int64, declaredLength: Int64?, checksum: UploadChecksum?, lease: (any Lease)?,
        body: some AsyncSequence<ByteBuffer, any Error>
    ) async throws -> Progress {
        var record = try await liveRecord(id)
        guard offset == record.offset else {
            throw UploadError.offsetMismatch(given: offset, actual: record.offset)
        }
        let remaining = record.length - record.offset
        if let declaredLength, declaredLength > remaining {
            throw UploadError.exceedsLength(declared: declaredLength, remaining: remaining, length: record.length)
        }
        if record.isComplete {
            // Nothing to write; a retry after a lost final response, or after a failed ingest.
            return try await finish(&record)
        }
        var writer = try await sink(continuing: record, checksum: checksum)
        var interruption: (any Error)?
        do {
            for try await chunk in body {
                guard writer.end + Int64(chunk.readableBytes) <= record.length else {
                    throw UploadError.exceedsLength(declared: nil, remaining: record.length - record.offset, length: record.length)
                }
                try await writer.append(chunk)
            }
        } catch let error as any DomainError {
            await dropUnrecorded(record)
            throw error
        } catch {
            interruption = error  // the client went away mid-body
        }
        if let checksum {
            try await writer.flush()
            let digest = writer.requestDigest?.finalize()
            guard interruption == nil, digest == checksum.expected else {
                await dropUnrecorded(record)
                if interruption != nil {
                    throw UploadError.incompleteBody(resumeAt: record.offset, checksummed: true)
                }
                throw UploadError.checksumMismatch(algorithm: checksum.algorithm.rawValue)
            }
        }
        try await writer.sync()
        // The lock lost meanwhile (the database connection holding it dropped): another
        // instance may be writing from the recorded offset, so these bytes are not recorded.
        if let lease, await !lease.isHeld() { throw UploadError.locked }
        record.offset = writer.position
        record.expiresAt = clock.now().addingTimeInterval(settings.expiry.seconds)
        try await uploads.save(record)
        metrics.received(record.offset - offset, by: .tus)
        await writer.recorded()
        await sessions.record(writer.contentHash, for: id, at: record.offset)
        if let interruption {
            logger.info("upload interrupted; resumable", metadata: ["upload.id": "\(id)", "upload.offset": "\(record.offset)", "error": "\(interruption)"])
            throw UploadError.incompleteBody(resumeAt: record.offset, checksummed: false)
        }
        if record.isComplete { return try await finish(&record) }
        return Progress(upload: record, videoID: nil)
    }

    /// Where the next bytes of `record` go.
    private func sink(continuing record: UploadRecord, checksum: UploadChecksum?) async throws -> any UploadSink {
        let requestDigest = checksum.map { ChunkDigest($0.algorithm) }
        if let parts {
            let writer = try await parts.partWriter(for: record, into: destination(of: record))
            return PartUploadSink(writer: writer, requestDigest: requestDigest)
        }
        return StagedFileWriter(
            file: try await staging.openPartial(record.id, at: record.offset), position: record.offset,
            contentHash: await sessions.hash(for: record.id, at: record.offset, length: record.length), requestDigest: requestDigest)
    }

    /// Frees the bytes a failed request wrote past the recorded offset, where they take room: a
    /// staging file is cut back. (Parts and tails past it are overwritten by the next request.)
    private func dropUnrecorded(_ record: UploadRecord) async {
        if parts == nil { _ = try? await staging.openPartial(record.id, at: record.offset) }
    }

    /// The object an upload kept in parts is joined into: its video's.
    private func destination(of record: UploadRecord) throws -> ObjectKey {
        try VideoIngestor.sourceKey(of: VideoID(derivedFrom: record.id))
    }

    /// Turns a complete upload into a video, once.
    private func finish(_ record: inout UploadRecord) async throws -> Progress {
        if let videoID = record.videoID { return Progress(upload: record, videoID: videoID) }
        let videoID = VideoID(derivedFrom: record.id)
        let digest = try await sessions.hash(for: record.id, at: record.offset, length: record.length)?.finalize()
        do {
            // Stored before a crash that came ahead of recording it below: just record it now.
            if try await videos.find(videoID) == nil {
                if let parts {
                    try await ingestParts(of: record, as: videoID, from: parts)
                } else {
                    _ = try await ingestor.ingest(
                        fileAt: staging.partialPath(for: record.id), digest: digest,
                        described: UploadDescription(metadata: record.metadata), ownedBy: record.ownerID, as: videoID)
                }
            }
            record.videoID = videoID
            try await uploads.save(record)
            await sessions.forget(record.id)
            return Progress(upload: record, videoID: videoID)
        } catch UploadError.notAVideo {
            // Not a video: nothing the client can resume into one. Any other failure keeps the
            // complete file, and a retried PATCH at the final offset ingests it again.
            try? await discard(record)
            throw UploadError.notAVideo
        }
    }

    /// Joins the parts into the video's object, then reads it back once to probe it, make its
    /// thumbnail and hash it: the ingest steps all need the file, and no instance holds it whole.
    private func ingestParts(of record: UploadRecord, as videoID: VideoID, from parts: any ObjectStore & UploadPartStore) async throws {
        guard record.length > 0 else { throw UploadError.notAVideo }
        let key = try VideoIngestor.sourceKey(of: videoID)
        try await parts.completeParts(of: record, into: key)
        let copy = staging.temporaryPath(suffix: ".source")
        do {
            let digest = try await staging.download(try await parts.read(key, range: nil), to: copy)
            _ = try await ingestor.ingest(
                fileAt: copy, digest: digest, described: UploadDescription(metadata: record.metadata), ownedBy: record.ownerID,
                as: videoID, alreadyStored: true)
        } catch {
            await staging.remove(copy)
            throw error
        }
    }

    /// tus termination.
    public func terminate(_ id: UploadID) async throws {
        try await exclusively(id) { _ in
            guard let record = try await uploads.find(id) else { throw AccessError.notFound("upload \(id)") }
            try await discard(record)
        }
    }

    /// Removes unfinished uploads whose expiry has passed; returns how many.
    public func sweepExpired() async throws -> Int {
        var removed = 0
        for candidate in try await uploads.expired(before: clock.now()) {
            // Claimed like a write, so an upload another request or instance is writing to is
            // left alone; read again under the claim, so that of instances sweeping at once only
            // the first removes it, and one a PATCH has just renewed stays.
            do {
                let swept = try await exclusively(candidate.id) { _ in
                    guard let record = try await uploads.find(candidate.id), record.videoID == nil, record.expiresAt <= clock.now() else {
                        return false
                    }
                    try await discard(record)
                    return true
                }
                if swept { removed += 1 }
            } catch UploadError.locked {
                continue
            }
        }
        if removed > 0 { logger.info("expired uploads removed", metadata: ["count": "\(removed)"]) }
        await removeStrayFiles()
        return removed
    }

    /// Sweeps expired uploads every five minutes, beside the web server (tus expiration).
    public func expiryService(logger: Logger) -> PeriodicService {
        PeriodicService("sweeping expired uploads", every: .seconds(300), logger: logger) {
            _ = try await sweepExpired()
        }
    }

    /// Staging files no upload owns (one-shot uploads or remux output interrupted by a crash),
    /// once they are older than the upload expiry, so nothing still being written is touched.
    private func removeStrayFiles() async {
        let cutoff = clock.now().addingTimeInterval(-settings.expiry.seconds)
        for (path, name, modified) in staging.files() where modified < cutoff {
            if name.hasSuffix(".part"), let id = UploadID(String(name.dropLast(5))), (try? await uploads.find(id)) != nil { continue }
            await staging.remove(path)
            logger.info("stray staging file removed", metadata: ["file": "\(name)"])
        }
    }

    private func discard(_ record: UploadRecord) async throws {
        await removeBytes(of: record)
        try await uploads.delete(record.id)
        await sessions.forget(record.id)
    }

    /// Removes what an upload that will not become a video stored: its staging file, or its
    /// parts, tails and (once joined) the object they were joined into, unless that object is a
    /// video by now.
    private func removeBytes(of record: UploadRecord) async {
        guard let parts, let key = try? destination(of: record) else {
            await staging.remove(staging.partialPath(for: record.id))
            return
        }
        try? await parts.abortParts(of: record, into: key)
        if record.videoID == nil, (try? await videos.find(VideoID(derivedFrom: record.id))) == .some(nil) {
            try? await parts.delete(key)
        }
    }

    private func liveRecord(_ id: UploadID) async throws -> UploadRecord {
        guard let record = try await uploads.find(id) else { throw AccessError.notFound("upload \(id)") }
        if record.videoID == nil, record.expiresAt <= clock.now() {
            throw UploadError.expired(id)
        }
        return record
    }
}
