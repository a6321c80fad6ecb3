#if canImport(Glibc)
import CLinuxExtras
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

    public enum Mode: Sendable { case read, createOrOpenForWriting, createNew }

    /// With `followingSymlinks: false` a symbolic link as the last component fails with `ELOOP`
    /// instead of being opened.
    public init(path: String, mode: Mode, followingSymlinks: Bool = true) throws(PosixError) {
        var flags: CInt
        switch mode {
        case .read: flags = O_RDONLY | O_CLOEXEC
        case .createOrOpenForWriting: flags = O_WRONLY | O_CREAT | O_CLOEXEC
        case .createNew: flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
        }
        if !followingSymlinks { flags |= O_NOFOLLOW }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw PosixError(operation: "open", path: path) }
        self.descriptor = fd
        self.path = path
    }

    deinit { close(descriptor) }

    public struct Status: Sendable {
        public var size: Int64
        public var modifiedSeconds: Int64
        public var modifiedNanoseconds: Int64
        public var inode: UInt64
        public var isRegularFile: Bool

        init(_ info: stat) {
            size = Int64(info.st_size)
            modifiedSeconds = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
            inode = UInt64(info.st_ino)
            isRegularFile = (info.st_mode & S_IFMT) == S_IFREG
        }
    }

    public func status() throws(PosixError) -> Status {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw PosixError(operation: "fstat", path: path) }
        return Status(info)
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

    /// The path the kernel has for the open file, with every symbolic link resolved: what the
    /// descriptor really is, whatever path was used to open it.
    public func resolvedPath() throws(PosixError) -> String {
        try PosixPath.readLink("/proc/self/fd/\(descriptor)")
    }

    /// Sets an extended attribute (`user.*`); false when the file system does not keep them.
    @discardableResult
    public func setAttribute(_ name: String, _ value: String) -> Bool {
        Array(value.utf8).withUnsafeBytes { fsetxattr(descriptor, name, $0.baseAddress, $0.count, 0) == 0 }
    }

    public func attribute(_ name: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { fgetxattr(descriptor, name, $0.baseAddress, $0.count) }
        return count >= 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : nil
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

    /// Flushes every written file of the file system holding `path` to disk, with one
    /// `syncfs` instead of an `fsync` per file.
    public static func syncFileSystem(containing path: String) throws(PosixError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PosixError(operation: "open", path: path) }
        defer { close(fd) }
        guard syncfs(fd) == 0 else { throw PosixError(operation: "syncfs", path: path) }
    }

    /// Names of the entries in a directory (without `.` and `..`); empty when it does not exist.
    public static func contents(of directory: String) -> [String] {
        entries(of: directory).map(\.name)
    }

    public struct Entry: Sendable {
        public enum Kind: Sendable { case file, directory, symbolicLink, other }
        public var name: String
        public var kind: Kind
    }

    /// The entries of a directory with their kinds, symbolic links reported as such (never
    /// followed); empty when the directory does not exist.
    public static func entries(of directory: String) -> [Entry] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var entries: [Entry] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name != "." && name != ".." else { continue }
            var type = CInt(entry.pointee.d_type)
            if type == CInt(DT_UNKNOWN) {
                // Some file systems (XFS without ftype, some network ones) do not fill d_type.
                var info = stat()
                type = lstat(directory + "/" + name, &info) == 0 ? CInt((info.st_mode & S_IFMT) >> 12) : CInt(DT_UNKNOWN)
            }
            let kind: Entry.Kind =
                switch type {
                case CInt(DT_REG): .file
                case CInt(DT_DIR): .directory
                case CInt(DT_LNK): .symbolicLink
                default: .other
                }
            entries.append(Entry(name: name, kind: kind))
        }
        return entries
    }

    /// `lstat`: the status of the path itself, a symbolic link not followed.
    public static func status(of path: String) throws(PosixError) -> PosixFile.Status {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw PosixError(operation: "lstat", path: path) }
        return PosixFile.Status(info)
    }

    /// Removes a directory if it is empty; false (and nothing done) otherwise.
    @discardableResult
    public static func removeDirectoryIfEmpty(_ path: String) -> Bool { rmdir(path) == 0 }

    public static func readLink(_ path: String) throws(PosixError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { throw PosixError(operation: "readlink", path: path) }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The absolute path with every symbolic link resolved (`realpath(3)`).
    public static func resolve(_ path: String) throws(PosixError) -> String {
        guard let resolved = realpath(path, nil) else { throw PosixError(operation: "realpath", path: path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
