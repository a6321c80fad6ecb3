import NIOCore

/// Where the bytes of a tus upload wait between its first PATCH and its last when every instance
/// of a deployment must reach them and they share no disk: in the object store itself, as the
/// parts of one multipart upload plus a small tail object for the bytes that do not fill a part
/// yet (tusd's S3 store keeps them the same way).
///
/// Everything is derived from the upload's recorded offset: the parts below it are whole and
/// numbered from 1, and the bytes past the last whole part are in the tail object named by that
/// offset. A writer that dies before the offset is recorded leaves parts and a tail that the next
/// writer, starting from the recorded offset, overwrites or ignores; nothing acknowledged is ever
/// rewritten.
public protocol UploadPartStore: Sendable {
    /// Starts the store's upload of what will become `destination`; the id it returns is
    /// recorded with the upload (`UploadRecord.multipartUploadID`). `contentType` is what the
    /// object is stored with: the uploader's claim, since no byte has arrived yet.
    func beginParts(of upload: UploadRecord, into destination: ObjectKey, contentType: String?) async throws -> String
    /// A writer continuing `upload` at its recorded offset.
    func partWriter(for upload: UploadRecord, into destination: ObjectKey) async throws -> any UploadPartWriter
    /// Joins the parts of a complete upload into the object at `destination`. Idempotent: when a
    /// crash came between joining and recording it, the object is found already joined.
    func completeParts(of upload: UploadRecord, into destination: ObjectKey) async throws
    /// Aborts the store's upload and removes its tail objects (termination, expiry, a complete
    /// upload that is not a video). Aborting one already gone is not an error.
    func abortParts(of upload: UploadRecord, into destination: ObjectKey) async throws
}

/// Appends one request's bytes to an upload kept in parts. Parts go to the store as they fill;
/// nothing counts until `commit` returns and the caller records the new offset.
public protocol UploadPartWriter: Sendable {
    /// The offset the bytes written so far reach.
    var end: Int64 { get }
    mutating func write(_ bytes: ByteBuffer) async throws
    /// Stores what does not fill a part (as the tail object, or as the last part when the upload
    /// is complete), so that `end` can be recorded.
    mutating func commit() async throws
    /// After `end` is recorded: removes the tail the recorded offset no longer names.
    func retireOldTail() async
}
