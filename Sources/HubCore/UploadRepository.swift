import Foundation

/// Identifies a resumable upload; appears in its tus URL.
public struct UploadID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init() {
        // 128 random bits in hex: unguessable, and safe as a file name and URL segment.
        var generator = SystemRandomNumberGenerator()
        self.rawValue = (0..<2).map { _ in
            let n = generator.next() as UInt64
            let hex = String(n, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    public init?(_ rawValue: String) {
        guard rawValue.count == 32, rawValue.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

extension VideoID {
    /// The id of the video an upload becomes, derived from the upload's id (its 128 bits shaped
    /// into a version-4 UUID). Because it is known before the video is stored, finishing an
    /// upload is idempotent: after a crash between storing the video and recording it on the
    /// upload, the retry finds the video instead of failing on a file that has already moved.
    public init(derivedFrom upload: UploadID) {
        var hex = Array(upload.rawValue)
        hex[12] = "4"  // version 4
        hex[16] = ["8", "9", "a", "b"][Int(String(hex[16]), radix: 16)! & 3]  // RFC 4122 variant
        let text = String(hex)
        let parts = [text.prefix(8), text.dropFirst(8).prefix(4), text.dropFirst(12).prefix(4), text.dropFirst(16).prefix(4), text.dropFirst(20)]
        self.init(parts.joined(separator: "-"))!
    }
}

/// The durable state of one tus upload. `offset` is only advanced after the bytes below it are
/// fsynced, so after a crash or restart the server never reports bytes it could lose.
public struct UploadRecord: Sendable, Equatable {
    public var id: UploadID
    public var length: Int64
    public var offset: Int64
    /// The client's `Upload-Metadata`, decoded (filename, title, description, tags…).
    public var metadata: [String: String]
    public var createdAt: Date
    public var expiresAt: Date
    /// Set once the upload became a video, so a client that lost the final response can learn it.
    public var videoID: VideoID?
    /// The account that created it; only they (or an admin) can resume, inspect or cancel it.
    public var ownerID: UserID?
    /// The object store's own upload its bytes go into, when they wait in the store rather than
    /// in a staging file (S3's multipart upload id).
    public var multipartUploadID: String?

    public init(
        id: UploadID, length: Int64, offset: Int64, metadata: [String: String], createdAt: Date,
        expiresAt: Date, videoID: VideoID? = nil, ownerID: UserID?, multipartUploadID: String? = nil
    ) {
        self.multipartUploadID = multipartUploadID
        self.id = id
        self.length = length
        self.offset = offset
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.videoID = videoID
        self.ownerID = ownerID
    }

    public var isComplete: Bool { offset == length }
}

extension UploadRecord: OwnedItem {
    /// Uploads in progress are never shared.
    public var isShared: Bool { false }
}

public protocol UploadRepository: Sendable {
    func insert(_ upload: UploadRecord) async throws
    func find(_ id: UploadID) async throws -> UploadRecord?
    func save(_ upload: UploadRecord) async throws
    func delete(_ id: UploadID) async throws
    /// Unfinished uploads whose expiry has passed.
    func expired(before date: Date) async throws -> [UploadRecord]
}
