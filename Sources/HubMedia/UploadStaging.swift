import Crypto
import Foundation
import HubCore
import HubSystem
import NIOCore
import NIOPosix

/// The directory where uploads are assembled before they become objects: `UPLOAD_DIR/.incoming`.
/// It sits beside the local store's objects so that finishing an upload is a rename, not a copy.
public struct UploadStaging: Sendable {
    public let directory: String
    let threadPool: NIOThreadPool

    public init(directory: String, threadPool: NIOThreadPool = .singleton) {
        self.directory = directory
        self.threadPool = threadPool
    }

    public func prepare() throws {
        try PosixPath.createDirectories(directory)
    }

    public func partialPath(for id: UploadID) -> String { "\(directory)/\(id.rawValue).part" }

    /// A fresh path for a one-shot upload or a derived file (remux output, thumbnail).
    public func temporaryPath(suffix: String) -> String { "\(directory)/\(UUID().uuidString.lowercased())\(suffix)" }

    public func remove(_ path: String) async {
        _ = try? await threadPool.runIfActive { try PosixPath.remove(path) }
    }

    /// Opens the partial file of `id` for appending at `offset`, cutting off anything past it
    /// (bytes written before a crash but never acknowledged).
    public func openPartial(_ id: UploadID, at offset: Int64) async throws -> PosixFile {
        let path = partialPath(for: id)
        return try await threadPool.runIfActive {
            let file = try PosixFile(path: path, mode: .createOrOpenForWriting)
            if try file.status().size != offset { try file.truncate(to: offset) }
            return file
        }
    }

    /// Writes `bytes` (an object read back from the store) to a new file at `path`, hashing them
    /// on the way: SHA-256 and size.
    public func download(_ bytes: ObjectByteStream, to path: String) async throws -> (hex: String, size: Int64) {
        let file = try await threadPool.runIfActive { try PosixFile(path: path, mode: .createOrOpenForWriting) }
        var writer = StagedFileWriter(file: file, position: 0, contentHash: SHA256(), requestDigest: nil, threadPool: threadPool)
        for try await chunk in bytes { try await writer.append(chunk) }
        try await writer.flush()
        return (writer.contentHash?.finalize().hexEncoded ?? "", writer.position)
    }

    /// Every file in the staging directory: (path, name, modification time).
    public func files() -> [(path: String, name: String, modified: Date)] {
        PosixPath.contents(of: directory).compactMap { name in
            let path = "\(directory)/\(name)"
            guard let status = try? PosixFile(path: path, mode: .read).status() else { return nil }
            return (path, name, Date(timeIntervalSince1970: TimeInterval(status.modifiedSeconds)))
        }
    }

    /// Reads a file's first bytes (for sniffing).
    public func prefix(of path: String, count: Int) async throws -> [UInt8] {
        try await threadPool.runIfActive {
            var buffer = try PosixFile(path: path, mode: .read).read(count: count, at: 0)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        }
    }

    /// SHA-256 of a whole file, read in large chunks on the thread pool. Used only when the
    /// running hash was lost (a restart mid-upload) or the file was rewritten (faststart).
    public func sha256(of path: String) async throws -> (hex: String, size: Int64) {
        try await threadPool.runIfActive {
            let file = try PosixFile(path: path, mode: .read)
            var hasher = SHA256()
            var offset: Int64 = 0
            while true {
                let chunk = try file.read(count: 4 << 20, at: offset)
                if chunk.readableBytes == 0 { break }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                offset += Int64(chunk.readableBytes)
            }
            return (hasher.finalize().hexEncoded, offset)
        }
    }
}
