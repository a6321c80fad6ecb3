#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// An open file descriptor with the few positioned operations the hub's byte paths need
/// (`pread`, `pwrite`, `fsync`, `ftruncate`), closed when the last reference goes away.
///
/// The hub reads and writes video bytes through this rather than NIOFileSystem because the
/// streaming and upload paths are measured against nginx and `dd`: one positioned syscall per
/// large chunk, with no intermediate buffering or per-chunk allocation of handles, is what keeps
/// them close. Callers run these blocking calls on a thread pool, never on an event loop.
public final class PosixFile: Sendable {
    public let descriptor: CInt
    public let path: String

    public enum Mode: Sendable { case read, createOrOpenForWriting }

    public init(path: String, mode: Mode) throws(PosixError) {
        let flags: CInt
        switch mode {
        case .read: flags = O_RDONLY | O_CLOEXEC
        case .createOrOpenForWriting: flags = O_WRONLY | O_CREAT | O_CLOEXEC
        }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw PosixError(operation: "open", path: path) }
        self.descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }

    public struct Status: Sendable {
        public var size: Int64
        public var modifiedSeconds: Int64
        public var isRegularFile: Bool
    }

    public func status() throws(PosixError) -> Status {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw PosixError(operation: "fstat", path: path) }
        return Status(
            size: Int64(info.st_size), modifiedSeconds: Int64(info.st_mtim.tv_sec),
            isRegularFile: (info.st_mode & S_IFMT) == S_IFREG)
    }

    /// Reads up to `count` bytes at `offset`, looping over short reads; fewer bytes only at EOF.
    public func read(count: Int, at offset: Int64, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(PosixError) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: count)
        var failure: PosixError?
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            var done = 0
            while done < count {
                let n = pread(descriptor, pointer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n > 0 {
                    done += n
                } else if n == 0 {
                    break
                } else if errno != EINTR {
                    failure = PosixError(operation: "pread", path: path)
                    break
                }
            }
            return done
        }
        if let failure { throw failure }
        return buffer
    }

    /// Reads exactly `count` bytes at `offset` only if they are all in the page cache, without
    /// blocking on the disk (`preadv2` with `RWF_NOWAIT`); nil otherwise, or where the kernel or
    /// libc lack it. Lets a caller on an async thread serve hot data without a thread-pool hop
    /// and send only cold reads to the pool.
    public func readIfCached(count: Int, at offset: Int64, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer? {
        guard let preadv2 = Self.preadv2 else { return nil }
        var buffer = allocator.buffer(capacity: count)
        var complete = false
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
            var vector = iovec(iov_base: pointer.baseAddress, iov_len: count)
            let n = preadv2(descriptor, &vector, 1, off_t(offset), Self.noWait)
            complete = n == count
            return complete ? n : 0
        }
        return complete ? buffer : nil
    }

    private typealias PReadV2 = @convention(c) (CInt, UnsafePointer<iovec>, CInt, off_t, CInt) -> Int
    private static let noWait: CInt = 0x0000_0008  // RWF_NOWAIT, <linux/fs.h>
    /// Looked up at run time: Swift's Glibc module does not export `preadv2`.
    private static let preadv2: PReadV2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "preadv2").map {
        unsafeBitCast($0, to: PReadV2.self)
    }

    /// Writes all readable bytes of `buffer` at `offset`, looping over short writes.
    public func write(_ buffer: ByteBuffer, at offset: Int64) throws(PosixError) {
        var failure: PosixError?
        buffer.withUnsafeReadableBytes { pointer in
            var done = 0
            while done < pointer.count {
                let n = pwrite(descriptor, pointer.baseAddress! + done, pointer.count - done, off_t(offset) + off_t(done))
                if n >= 0 {
                    done += n
                } else if errno != EINTR {
                    failure = PosixError(operation: "pwrite", path: path)
                    return
                }
            }
        }
        if let failure { throw failure }
    }

    public func truncate(to size: Int64) throws(PosixError) {
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw PosixError(operation: "ftruncate", path: path) }
    }

    public func sync() throws(PosixError) {
        guard fsync(descriptor) == 0 else { throw PosixError(operation: "fsync", path: path) }
    }
}

/// A failed system call, with the errno it set.
public struct PosixError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: CInt

    public init(operation: String, path: String, code: CInt = errno) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var isNotFound: Bool { code == ENOENT }
    public var isNoSpace: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Directory and path operations that go with `PosixFile`.
public enum PosixPath {
    /// `mkdir -p`.
    public static func createDirectories(_ path: String) throws(PosixError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0, errno != EEXIST {
                throw PosixError(operation: "mkdir", path: current)
            }
        }
    }

    /// Atomically replaces `destination` with `source` and makes the rename durable by syncing
    /// the destination directory.
    public static func rename(_ source: String, to destination: String) throws(PosixError) {
        guard Glibc.rename(source, destination) == 0 else { throw PosixError(operation: "rename", path: destination) }
        syncDirectory(of: destination)
    }

    public static func remove(_ path: String) throws(PosixError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw PosixError(operation: "unlink", path: path) }
    }

    /// Best effort: a failure to sync a directory loses at most the rename on power loss, which
    /// the caller's own recovery (the upload's durable offset) covers.
    public static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Names of the entries in a directory (without `.` and `..`); empty when it does not exist.
    public static func contents(of directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
