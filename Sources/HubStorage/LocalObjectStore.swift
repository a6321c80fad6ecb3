import Crypto
import Foundation
import HubCore
import HubSystem
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The embedded default backend: objects are files under `UPLOAD_DIR`.
///
/// Layout: `objects/<shard>/<key>`, where the shard is the first byte of the key's SHA-256 in hex.
/// Keys are the hub's own paths (`videos/<id>/source`), so without the shard level a million
/// videos would be a million entries in one `videos/` folder; with it each of the 256 shard
/// folders holds a 256th. Staged files live beside, in `.incoming` and `.tmp`, on the same file
/// system so that finishing a put is a rename.
///
/// Writes are atomic (a fully written and fsynced file renamed into place). Reads open the file
/// before returning, so a delete during a stream leaves the open descriptor readable to the end.
/// Keys cannot leave the base directory: `ObjectKey` refuses `..`, absolute paths and NUL, and
/// every file opened or written is checked to resolve inside the base, so a symbolic link planted
/// in the tree is refused rather than followed.
public struct LocalObjectStore: ObjectStore {
    public let baseDirectory: String
    private let objectsDirectory: String
    private let temporaryDirectory: String
    private let threadPool: NIOThreadPool
    /// Read size per syscall. 1 MiB matches the streaming benchmark's range size, so a typical
    /// seek is answered with a single `pread` and a single socket write.
    private let chunkSize: Int
    /// `realpath` of the base, found once it exists: what every opened file must lie under.
    private let resolvedBase = NIOLockedValueBox<String?>(nil)
    private let metrics: StoreMetrics

    static let contentTypeAttribute = "user.streamhub.content-type"

    public init(baseDirectory: String, threadPool: NIOThreadPool = .singleton, chunkSize: Int = 1 << 20, metrics: HubMetrics = .disabled) {
        self.metrics = StoreMetrics(metrics, backend: "local")
        self.baseDirectory = baseDirectory.hasSuffix("/") ? String(baseDirectory.dropLast()) : baseDirectory
        self.objectsDirectory = self.baseDirectory + "/objects"
        self.temporaryDirectory = self.baseDirectory + "/.tmp"
        self.threadPool = threadPool
        self.chunkSize = chunkSize
    }

    static func shard(of key: ObjectKey) -> String {
        SHA256.hash(data: Array(key.rawValue.utf8)).prefix(1).hexEncoded
    }

    func path(for key: ObjectKey) -> String { "\(objectsDirectory)/\(Self.shard(of: key))/\(key.rawValue)" }

    /// Where a key lived before objects were sharded; read as a fallback while `upgradeLayout`
    /// has not moved it yet (another instance on the same directory may still be upgrading).
    private func legacyPath(for key: ObjectKey) -> String { "\(baseDirectory)/\(key.rawValue)" }

    // MARK: - Writing

    public func put(_ key: ObjectKey, movingFileAt source: String, contentType: String?) async throws -> ObjectInfo {
        try await metrics.measure(.put) { try await place(key, movingFileAt: source, contentType: contentType) }
    }

    /// `put(_:movingFileAt:contentType:)` itself, which a streamed put ends with (one put, measured once).
    private func place(_ key: ObjectKey, movingFileAt source: String, contentType: String?) async throws -> ObjectInfo {
        let destination = path(for: key)
        return try await threadPool.runIfActive {
            do {
                let directory = (destination as NSString).deletingLastPathComponent
                try PosixPath.createDirectories(directory)
                try checkInside(try PosixPath.resolve(directory), key: key)
                let file = try PosixFile(path: source, mode: .read, followingSymlinks: false)
                if let contentType { file.setAttribute(Self.contentTypeAttribute, contentType) }
                try PosixPath.rename(source, to: destination)
                return try Self.info(of: file, key: key)
            } catch {
                throw Self.translate(error, key: key)
            }
        }
    }

    public func put<Bytes: AsyncSequence & Sendable>(
        _ key: ObjectKey, from bytes: Bytes, size: Int64?, contentType: String?
    ) async throws -> ObjectInfo where Bytes.Element == ByteBuffer {
        return try await metrics.measure(.put) {
            let temporary = "\(temporaryDirectory)/\(UUID().uuidString)"
            let file: PosixFile
            do {
                file = try await threadPool.runIfActive { [temporaryDirectory] in
                    try PosixPath.createDirectories(temporaryDirectory)
                    return try PosixFile(path: temporary, mode: .createNew)
                }
            } catch {
                throw Self.translate(error, key: key)
            }
            do {
                // Chunks from a network body are small; gathering them into 1 MiB writes keeps the
                // thread-pool hops and syscalls per object low.
                var written: Int64 = 0
                var pending = ByteBuffer()
                for try await var chunk in bytes {
                    pending.writeBuffer(&chunk)
                    if pending.readableBytes >= chunkSize {
                        try await write(pending, to: file, at: written)
                        written += Int64(pending.readableBytes)
                        pending.clear()
                    }
                }
                try await write(pending, to: file, at: written)
                written += Int64(pending.readableBytes)
                if let size, written != size {
                    throw ObjectStoreError.preconditionFailed("\(key): expected \(size) bytes, got \(written)")
                }
                try await threadPool.runIfActive { try file.sync() }
                return try await place(key, movingFileAt: temporary, contentType: contentType)
            } catch {
                try? PosixPath.remove(temporary)
                throw Self.translate(error, key: key)
            }
        }
    }

    private func write(_ buffer: ByteBuffer, to file: PosixFile, at offset: Int64) async throws {
        guard buffer.readableBytes > 0 else { return }
        try await threadPool.runIfActive { try file.write(buffer, at: offset) }
    }

    /// A read and a put, and measured as those.
    public func copy(_ source: ObjectKey, to destination: ObjectKey) async throws -> ObjectInfo {
        let bytes = try await read(source, range: nil)
        return try await put(destination, from: bytes, size: bytes.count, contentType: bytes.info.contentType)
    }

    public func delete(_ key: ObjectKey) async throws {
        try await metrics.measure(.delete) {
            let paths = [path(for: key), legacyPath(for: key)]
            try await threadPool.runIfActive {
                do { for path in paths { try PosixPath.remove(path) } } catch { throw Self.translate(error, key: key) }
            }
        }
    }

    // MARK: - Reading

    public func head(_ key: ObjectKey) async throws -> ObjectInfo {
        return try await metrics.measure(.head) {
            try await threadPool.runIfActive {
                do {
                    return try Self.info(of: try open(key), key: key)
                } catch {
                    throw Self.translate(error, key: key)
                }
            }
        }
    }

    public func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream {
        return try await metrics.measure(.read) {
            let chunkSize = self.chunkSize
            // The hot path (data in the page cache) makes no thread-pool hop at all: open and fstat
            // are metadata calls that do not wait on the disk for a file read recently, and the first
            // chunk comes from `readIfCached`. Only a cold read goes to the pool, as nginx's
            // `aio threads` does. A typical seek asks for one chunk, so it is served right here.
            let file: PosixFile
            let info: ObjectInfo
            do {
                file = try open(key)
                info = try Self.info(of: file, key: key)
            } catch {
                throw Self.translate(error, key: key)
            }
            let firstStart = range?.lowerBound ?? 0
            let firstCount = Int(min(Int64(chunkSize), (range.map { $0.upperBound + 1 } ?? info.size) - firstStart))
            let first = firstCount > 0 ? try await readChunk(file, count: firstCount, at: firstStart, key: key) : nil
            let (start, end) = range.map { ($0.lowerBound, $0.upperBound + 1) } ?? (0, info.size)
            let cursor = ReadCursor(next: start + Int64(first?.readableBytes ?? 0), end: end, first: first)
            return ObjectByteStream(info: info, count: end - start) {
                if let first = cursor.takeFirst() { return first }
                guard let (offset, count) = cursor.claim(upTo: chunkSize) else { return nil }
                return try await readChunk(file, count: count, at: offset, key: key)
            }
        }
    }

    /// Opens a key's file for reading, refusing a symbolic link anywhere on the way: the last
    /// component by `O_NOFOLLOW`, the directories above it by where the descriptor really is.
    private func open(_ key: ObjectKey) throws -> PosixFile {
        let file: PosixFile
        do {
            file = try PosixFile(path: path(for: key), mode: .read, followingSymlinks: false)
        } catch where error.isNotFound {
            file = try PosixFile(path: legacyPath(for: key), mode: .read, followingSymlinks: false)
        }
        try checkInside(try file.resolvedPath(), key: key)
        return file
    }

    private func checkInside(_ resolved: String, key: ObjectKey) throws {
        let base =
            try resolvedBase.withLockedValue { cached in
                if let cached { return cached }
                cached = try PosixPath.resolve(baseDirectory)
                return cached!
            }
        guard resolved.hasPrefix(base + "/") else {
            throw ObjectStoreError.accessDenied("\(key) resolves outside UPLOAD_DIR through a symbolic link")
        }
    }

    /// One chunk: straight from the page cache when it is there, else on the thread pool.
    private func readChunk(_ file: PosixFile, count: Int, at offset: Int64, key: ObjectKey) async throws -> ByteBuffer {
        if let cached = file.readIfCached(count: count, at: offset) { return cached }
        return try await threadPool.runIfActive {
            try Self.complete(try file.read(count: count, at: offset), expected: count, key: key)
        }
    }

    /// A short read means the file shrank under us (replaced in place by something other than the
    /// hub): end the stream with an error rather than pad it.
    private static func complete(_ buffer: ByteBuffer, expected: Int, key: ObjectKey) throws -> ByteBuffer {
        guard buffer.readableBytes == expected else { throw ObjectStoreError.unavailable("\(key) changed while it was read") }
        return buffer
    }

    // MARK: - Listing

    /// Lists shard by shard, keys sorted within each; the continuation is `<shard>/<last key>`.
    /// A page reads only the shards it needs, so walking a large store costs one pass over it.
    public func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        return try await metrics.measure(.list) {
            let (startShard, after) = Self.parse(continuation)
            return try await threadPool.runIfActive { [objectsDirectory] in
                var objects: [ObjectInfo] = []
                // The folder the prefix names, so only that subtree of each shard is walked.
                let folder = prefix.contains("/") ? String(prefix[...prefix.lastIndex(of: "/")!]) : ""
                for shardNumber in startShard..<256 {
                    let shard = String(format: "%02x", shardNumber)
                    let root = "\(objectsDirectory)/\(shard)/"
                    var keys = Self.files(under: root + folder).map { folder + $0 }.filter { $0.hasPrefix(prefix) }.sorted()
                    if shardNumber == startShard, let after { keys.removeAll { $0 <= after } }
                    for raw in keys {
                        guard let key = try? ObjectKey(raw), let status = try? PosixPath.status(of: root + raw) else { continue }
                        objects.append(Self.info(status, key: key, contentType: nil))
                        if objects.count == limit {
                            let more = shardNumber < 255 || raw != keys.last
                            return ObjectListing(objects: objects, continuation: more ? "\(shard)/\(raw)" : nil)
                        }
                    }
                }
                return ObjectListing(objects: objects, continuation: nil)
            }
        }
    }

    private static func parse(_ continuation: String?) -> (shard: Int, after: String?) {
        guard let continuation, let slash = continuation.firstIndex(of: "/"),
            let shard = Int(continuation[..<slash], radix: 16), (0..<256).contains(shard)
        else { return (0, nil) }
        return (shard, String(continuation[continuation.index(after: slash)...]))
    }

    /// Relative paths of the regular files below `directory`; symbolic links are skipped.
    private static func files(under directory: String) -> [String] {
        var found: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            for entry in PosixPath.entries(of: directory + relative) {
                switch entry.kind {
                case .file: found.append(relative + entry.name)
                case .directory: pending.append(relative + entry.name + "/")
                case .symbolicLink, .other: continue
                }
            }
        }
        return found
    }

    // MARK: - Layout upgrade and health

    /// Moves objects stored before the sharded layout (`<key>` directly under the base) to
    /// `objects/<shard>/<key>`. Each move is a rename, so an interruption leaves every object in
    /// one place or the other (and reads look in both); running it again finishes the job.
    /// Returns how many objects moved.
    @discardableResult
    public func upgradeLayout() async throws -> Int {
        try await threadPool.runIfActive { [baseDirectory] in
            var moved = 0
            let topLevel = PosixPath.entries(of: baseDirectory).filter { $0.kind == .directory && $0.name != "objects" && !$0.name.hasPrefix(".") }
            for folder in topLevel {
                for relative in Self.files(under: "\(baseDirectory)/\(folder.name)/") {
                    guard let key = try? ObjectKey("\(folder.name)/\(relative)") else { continue }
                    let destination = path(for: key)
                    try PosixPath.createDirectories((destination as NSString).deletingLastPathComponent)
                    if (try? PosixPath.status(of: destination)) != nil {
                        try PosixPath.remove(legacyPath(for: key))  // already written in the new layout, which is newer
                    } else {
                        do { try PosixPath.rename(legacyPath(for: key), to: destination) } catch let error as PosixError where error.isNotFound { continue }
                        moved += 1
                    }
                }
                Self.removeEmptyDirectories(under: "\(baseDirectory)/\(folder.name)")
            }
            return moved
        }
    }

    private static func removeEmptyDirectories(under directory: String) {
        for entry in PosixPath.entries(of: directory) where entry.kind == .directory {
            removeEmptyDirectories(under: "\(directory)/\(entry.name)")
        }
        PosixPath.removeDirectoryIfEmpty(directory)
    }

    public func presignedURL(for key: ObjectKey, expiresIn seconds: Int, contentType: String?) -> URL? { nil }

    public func checkHealth() async throws {
        try await metrics.measure(.health) {
            let probe = "\(temporaryDirectory)/.health-\(UUID().uuidString)"
            try await threadPool.runIfActive { [temporaryDirectory] in
                do {
                    try PosixPath.createDirectories(temporaryDirectory)
                    let file = try PosixFile(path: probe, mode: .createOrOpenForWriting)
                    try file.write(ByteBuffer(string: "ok"), at: 0)
                    try PosixPath.remove(probe)
                } catch let error as PosixError {
                    throw ObjectStoreError.unavailable("UPLOAD_DIR \(baseDirectory) is not writable: \(error)")
                }
            }
        }
    }

    // MARK: - Helpers

    private static func info(of file: PosixFile, key: ObjectKey) throws -> ObjectInfo {
        let status = try file.status()
        guard status.isRegularFile else { throw ObjectStoreError.notFound(key) }
        return info(status, key: key, contentType: file.attribute(contentTypeAttribute))
    }

    /// The ETag changes with the file (a put renames a new inode into place) and with any
    /// rewrite in place (size or modification time), like nginx's `"<mtime>-<size>"`.
    private static func info(_ status: PosixFile.Status, key: ObjectKey, contentType: String?) -> ObjectInfo {
        let modified = Date(timeIntervalSince1970: TimeInterval(status.modifiedSeconds) + TimeInterval(status.modifiedNanoseconds) / 1e9)
        let etag = "\"\(String(status.inode, radix: 16))-\(String(status.modifiedSeconds, radix: 16))\(String(status.modifiedNanoseconds, radix: 16))-\(String(status.size, radix: 16))\""
        return ObjectInfo(key: key, size: status.size, modifiedAt: modified, etag: etag, contentType: contentType)
    }

    private static func translate(_ error: any Error, key: ObjectKey) -> any Error {
        guard let posix = error as? PosixError else { return error }
        if posix.isNotFound { return ObjectStoreError.notFound(key) }
        if posix.isNoSpace { return ObjectStoreError.insufficientStorage(posix.description) }
        if posix.code == ELOOP { return ObjectStoreError.accessDenied("\(key) is a symbolic link, which the store does not follow") }
        if posix.code == EACCES || posix.code == EPERM { return ObjectStoreError.accessDenied(posix.description) }
        return ObjectStoreError.unavailable(posix.description)
    }
}

/// The next offset of one read, shared by the stream's iterator closures. Reads are pulled one at
/// a time, but the closure is `@Sendable`, so the position sits behind a lock.
private struct ReadCursor: Sendable {
    let next: NIOLockedValueBox<Int64>
    let end: Int64
    let first: NIOLockedValueBox<ByteBuffer?>

    init(next: Int64, end: Int64, first: ByteBuffer?) {
        self.next = NIOLockedValueBox(next)
        self.end = end
        self.first = NIOLockedValueBox(first)
    }

    func takeFirst() -> ByteBuffer? {
        first.withLockedValue { first in
            defer { first = nil }
            return first
        }
    }

    func claim(upTo chunk: Int) -> (offset: Int64, count: Int)? {
        next.withLockedValue { next in
            guard next < end else { return nil }
            let count = Int(min(Int64(chunk), end - next))
            defer { next += Int64(count) }
            return (next, count)
        }
    }
}
