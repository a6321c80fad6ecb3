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
    /// on the way: the file's SHA-256 and block manifest.
    public func download(_ bytes: ObjectByteStream, to path: String) async throws -> ContentDigest {
        let file = try await threadPool.runIfActive { try PosixFile(path: path, mode: .createOrOpenForWriting) }
        var writer = StagedFileWriter(
            file: file, position: 0, contentHash: ContentHasher(expectedSize: bytes.count), requestDigest: nil, threadPool: threadPool)
        for try await chunk in bytes { try await writer.append(chunk) }
        try await writer.flush()
        return try writer.contentHash!.finalize()
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

    /// The digests of a whole file, read in large chunks on the thread pool. Used only when the
    /// running digests were lost (a restart mid-upload) or the file was rewritten (faststart).
    public func digest(of path: String) async throws -> ContentDigest {
        try await threadPool.runIfActive { try ContentHasher.digest(of: PosixFile(path: path, mode: .read)) }
    }
}
