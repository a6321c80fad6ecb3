import Crypto
import Foundation
import HubCore
import HubSystem
import NIOCore
import NIOConcurrencyHelpers

/// Copies every object of one store into another and proves each copy: the SHA-256 of the bytes
/// read from the source must equal that of the bytes read back from the destination. Moves a
/// hub between local disk (an NFS mount included) and S3, either way: `streamhub storage migrate`.
///
/// Resumable and safe to repeat: each verified copy is appended to a journal, and an object the
/// journal lists with the same size as the source's, and that is still at the destination with
/// that size, is not copied again. An interrupted run leaves at most the object it was copying
/// unverified, and the next run copies that one again.
public struct StorageMigration: Sendable {
    public let source: any ObjectStore
    public let destination: any ObjectStore
    /// A file of `<sha256> <size> <key>` lines, one per verified copy.
    public let journalPath: String

    public struct Progress: Sendable {
        public var objectsDone = 0
        public var objectsTotal = 0
        public var bytesDone: Int64 = 0
        public var bytesTotal: Int64 = 0
        public var copied = 0
        public var alreadyThere = 0
        /// The object just finished.
        public var current: ObjectKey?
    }

    public init(source: any ObjectStore, destination: any ObjectStore, journalPath: String) {
        self.source = source
        self.destination = destination
        self.journalPath = journalPath
    }

    @discardableResult
    public func run(progress report: (Progress) -> Void = { _ in }) async throws -> Progress {
        var progress = Progress()
        // A first pass to count, so progress can say "of how many"; listings are cheap next to
        // the copies.
        for try await object in source.objects() {
            progress.objectsTotal += 1
            progress.bytesTotal += object.size
        }
        let journal = try Journal(path: journalPath)
        for try await object in source.objects() {
            if let verified = journal.entries[object.key.rawValue], verified.size == object.size,
                (try? await destination.head(object.key).size) == object.size
            {
                progress.alreadyThere += 1
            } else {
                let digest = try await copy(object)
                try journal.append(key: object.key.rawValue, size: object.size, sha256: digest)
                progress.copied += 1
            }
            progress.objectsDone += 1
            progress.bytesDone += object.size
            progress.current = object.key
            report(progress)
        }
        return progress
    }

    /// One object: streamed from the source into the destination, hashed on the way, then read
    /// back and hashed again. A mismatch removes the bad copy and stops the migration.
    private func copy(_ object: ObjectInfo) async throws -> String {
        let bytes = try await source.read(object.key, range: nil)
        let hashing = HashingStream(bytes)
        _ = try await destination.put(object.key, from: hashing, size: bytes.count, contentType: bytes.info.contentType)
        let sent = hashing.digest()
        var readBack = SHA256()
        for try await chunk in try await destination.read(object.key, range: nil) {
            chunk.withUnsafeReadableBytes { readBack.update(bufferPointer: $0) }
        }
        let stored = readBack.finalize().hexEncoded
        guard stored == sent else {
            try? await destination.delete(object.key)
            throw ObjectStoreError.unavailable("\(object.key) reads back with SHA-256 \(stored), not \(sent); the copy was removed")
        }
        return sent
    }
}

/// Passes a byte stream through while hashing it.
struct HashingStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: ObjectByteStream
    private let hasher = NIOLockedValueBox(SHA256())

    init(_ bytes: ObjectByteStream) { self.bytes = bytes }

    func digest() -> String { hasher.withLockedValue { $0.finalize() }.hexEncoded }

    struct AsyncIterator: AsyncIteratorProtocol {
        var iterator: ObjectByteStream.AsyncIterator
        let stream: HashingStream

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await iterator.next() else { return nil }
            stream.hasher.withLockedValue { hasher in chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(iterator: bytes.makeAsyncIterator(), stream: self) }
}

/// The migration's record of verified copies: appended a line at a time and flushed to disk
/// before the next object starts, so a crash loses at most the line being written (a torn last
/// line is ignored on reading).
final class Journal {
    struct Entry {
        var size: Int64
        var sha256: String
    }

    private(set) var entries: [String: Entry] = [:]
    private let file: PosixFile
    private var end: Int64

    init(path: String) throws {
        file = try PosixFile(path: path, mode: .createOrOpenForWriting)
        let size = try file.status().size
        let text = size == 0 ? "" : String(buffer: try PosixFile(path: path, mode: .read).read(count: Int(size), at: 0))
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2)
            guard fields.count == 3, fields[0].count == 64, let size = Int64(fields[1]) else { continue }
            entries[String(fields[2])] = Entry(size: size, sha256: String(fields[0]))
        }
        // A torn line from a crash is cut off, so the next append starts on a line of its own.
        end = Int64(text.utf8.count - (text.split(separator: "\n", omittingEmptySubsequences: false).last?.utf8.count ?? 0))
        try file.truncate(to: end)
    }

    func append(key: String, size: Int64, sha256: String) throws {
        let line = ByteBuffer(string: "\(sha256) \(size) \(key)\n")
        try file.write(line, at: end)
        try file.sync()
        end += Int64(line.readableBytes)
        entries[key] = Entry(size: size, sha256: sha256)
    }
}
