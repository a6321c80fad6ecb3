import Foundation
import HubCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The embedded default backend: objects are files under `UPLOAD_DIR`, one per key, at the key's
/// own relative path (keys are validated by `ObjectKey`, so they cannot leave the base directory).
///
/// Writes are atomic (the caller's fully written and fsynced file is renamed into place), and
/// reads open the file before returning, so a delete during a stream leaves the open descriptor
/// readable to the end — the stream finishes, the space is freed when it closes.
public struct LocalObjectStore: ObjectStore {
    public let baseDirectory: String
    private let threadPool: NIOThreadPool
    /// Read size per syscall. 1 MiB matches the streaming benchmark's range size, so a typical
    /// seek is answered with a single `pread` and a single socket write.
    private let chunkSize: Int

    public init(baseDirectory: String, threadPool: NIOThreadPool = .singleton, chunkSize: Int = 1 << 20) {
        self.baseDirectory = baseDirectory.hasSuffix("/") ? String(baseDirectory.dropLast()) : baseDirectory
        self.threadPool = threadPool
        self.chunkSize = chunkSize
    }

    func path(for key: ObjectKey) -> String { "\(baseDirectory)/\(key.rawValue)" }

    public func put(_ key: ObjectKey, movingFileAt source: String) async throws -> ObjectInfo {
        let destination = path(for: key)
        return try await threadPool.runIfActive {
            do {
                let directory = (destination as NSString).deletingLastPathComponent
                try PosixPath.createDirectories(directory)
                try PosixPath.rename(source, to: destination)
                let file = try PosixFile(path: destination, mode: .read)
                let status = try file.status()
                return ObjectInfo(key: key, size: status.size, modifiedAt: Date(timeIntervalSince1970: TimeInterval(status.modifiedSeconds)))
            } catch {
                throw Self.translate(error, key: key)
            }
        }
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo {
        let path = path(for: key)
        return try await threadPool.runIfActive {
            do {
                let file = try PosixFile(path: path, mode: .read)
                return try Self.info(of: file, key: key)
            } catch {
                throw Self.translate(error, key: key)
            }
        }
    }

    public func read(_ key: ObjectKey, range: ClosedRange<Int64>?) async throws -> ObjectByteStream {
        let path = path(for: key)
        let chunkSize = self.chunkSize
        // The hot path (data in the page cache) makes no thread-pool hop at all: open and fstat
        // are metadata calls that do not wait on the disk for a file read recently, and the first
        // chunk comes from `readIfCached`. Only a cold read goes to the pool, as nginx's
        // `aio threads` does. A typical seek asks for one chunk, so it is served right here.
        let file: PosixFile
        let info: ObjectInfo
        do {
            file = try PosixFile(path: path, mode: .read)
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

    public func delete(_ key: ObjectKey) async throws {
        let path = path(for: key)
        try await threadPool.runIfActive {
            do { try PosixPath.remove(path) } catch { throw Self.translate(error, key: key) }
        }
    }

    public func checkHealth() async throws {
        let probe = "\(baseDirectory)/.health-\(UUID().uuidString)"
        try await threadPool.runIfActive {
            do {
                try PosixPath.createDirectories(baseDirectory)
                let file = try PosixFile(path: probe, mode: .createOrOpenForWriting)
                try file.write(ByteBuffer(string: "ok"), at: 0)
                try PosixPath.remove(probe)
            } catch let error as PosixError {
                throw ObjectStoreError.unavailable("UPLOAD_DIR \(baseDirectory) is not writable: \(error)")
            }
        }
    }

    private static func info(of file: PosixFile, key: ObjectKey) throws -> ObjectInfo {
        let status = try file.status()
        guard status.isRegularFile else { throw ObjectStoreError.notFound(key) }
        return ObjectInfo(key: key, size: status.size, modifiedAt: Date(timeIntervalSince1970: TimeInterval(status.modifiedSeconds)))
    }

    private static func translate(_ error: any Error, key: ObjectKey) -> any Error {
        guard let posix = error as? PosixError else { return error }
        if posix.isNotFound { return ObjectStoreError.notFound(key) }
        if posix.isNoSpace { return ObjectStoreError.insufficientStorage(posix.description) }
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
