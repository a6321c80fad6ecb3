import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Files that must survive a crash whole: written to a temporary file, synced, then renamed or
/// linked into place, so a reader sees the old contents or the new, never a torn mix.
public enum DurableFile {
    /// Replaces `path` with `bytes` atomically. With `sync: false` the file is not synced
    /// before the rename: for callers that write many files and then sync them all at once with
    /// `PosixPath.syncFileSystem(containing:)` before they rely on any of them.
    public static func write(_ bytes: some Collection<UInt8>, to path: String, sync: Bool = true) throws(PosixError) {
        let temporary = "\(path).\(UUID().uuidString).tmp"
        do {
            let file = try PosixFile(path: temporary, mode: .createNew)
            try file.write(ByteBuffer(bytes: bytes), at: 0)
            if sync { try file.sync() }
        } catch {
            unlink(temporary)
            throw error
        }
        do {
            try PosixPath.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// The trimmed contents of `path`, which `make` fills the first time. Instances racing on a
    /// shared directory all end up with one value: the file is written whole to a private
    /// temporary file and linked into place, and `link` fails for every instance but the first.
    public static func readOrCreateOnce(_ path: String, permissions: Int = 0o600, make: () -> String) throws -> String {
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            return existing.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let value = make()
        let temporary = "\(path).\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((value + "\n").utf8), attributes: [.posixPermissions: permissions]) else {
            throw PosixError(operation: "create", path: temporary)
        }
        defer { unlink(temporary) }
        try PosixFile(path: temporary, mode: .read).sync()
        if link(temporary, path) != 0 {
            guard errno == EEXIST else { throw PosixError(operation: "link", path: path) }
            return try readOrCreateOnce(path, permissions: permissions, make: make)
        }
        PosixPath.syncDirectory(of: path)
        return value
    }
}
