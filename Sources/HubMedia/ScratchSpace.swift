import Foundation
import HubCore
import HubSystem
import NIOPosix

/// Where processing jobs keep their working files: `UPLOAD_DIR/.processing/`, one directory per
/// running job, within `TRANSCODE_SCRATCH_BYTES` on this instance. It sits beside the local
/// store's objects, so a finished rendition moves into the store by a rename.
///
/// A job reserves its estimate before it starts and waits while the reservations of the jobs
/// running would pass the budget: scratch space, unlike Jellyfin's transcode cache, cannot fill
/// the disk however many uploads arrive. A job whose estimate alone is more than the budget runs
/// when nothing else holds any, so a large file is slow to process, never refused.
public actor ScratchSpace {
    public nonisolated let directory: String
    public nonisolated let budget: Int64
    private let threadPool: NIOThreadPool
    private var reserved: Int64 = 0
    /// Jobs waiting for room, in arrival order; each is resumed with true once admitted, or false
    /// when its task was cancelled (shutdown) first.
    private var waiting: [(id: UUID, bytes: Int64, continuation: CheckedContinuation<Bool, Never>)] = []

    public init(directory: String, budget: Int64, threadPool: NIOThreadPool = .singleton) {
        self.directory = directory
        self.budget = budget
        self.threadPool = threadPool
    }

    /// A job's share: its own directory, and its bytes counted until `release()`.
    public struct Reservation: Sendable {
        public let directory: String
        let bytes: Int64

        /// A fresh file name in the job's directory.
        public func path(_ name: String) -> String { "\(directory)/\(name)" }
    }

    /// How much scratch a job on a source of `size` bytes may need at once: the source's copy,
    /// and beside it either its faststart copy or its rendition (rarely larger than the source
    /// for the codecs that are converted), with room for the thumbnail.
    public static func estimate(forSourceOf size: Int64) -> Int64 {
        size.multipliedReportingOverflow(by: 2).overflow ? .max : size * 2 + (1 << 20)
    }

    /// Waits until `bytes` fit in the budget (or nothing else is reserved), then makes the job's
    /// directory. In arrival order, so a large job is not starved by a stream of small ones.
    public func reserve(_ bytes: Int64, for name: String) async throws -> Reservation {
        let bytes = max(bytes, 0)
        if !fits(bytes) || !waiting.isEmpty {
            let id = UUID()
            let admitted = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if Task.isCancelled { continuation.resume(returning: false) } else { waiting.append((id, bytes, continuation)) }
                }
            } onCancel: {
                Task { await self.withdraw(id) }
            }
            guard admitted else { throw CancellationError() }
        } else {
            reserved += bytes
        }
        let path = "\(directory)/\(name)"
        do {
            try await threadPool.runIfActive { try PosixPath.createDirectories(path) }
        } catch {
            admit(freeing: bytes)
            throw error
        }
        return Reservation(directory: path, bytes: bytes)
    }

    /// Removes the job's directory with whatever is left in it and frees its bytes.
    public func release(_ reservation: Reservation) async {
        _ = try? await threadPool.runIfActive { try FileManager.default.removeItem(atPath: reservation.directory) }
        admit(freeing: reservation.bytes)
    }

    /// Removes what jobs left here: everything, for the database's only process at start (no
    /// job of its runs yet); otherwise the directories nothing has written to for `idle`, whose
    /// instance died (another instance's running job writes to its directory as it goes).
    public func removeLeftovers(everything: Bool, idle: TimeInterval = 3600) async {
        let directory = self.directory
        _ = try? await threadPool.runIfActive {
            let files = FileManager.default
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let cutoff = Date().addingTimeInterval(-idle)
            for name in try files.contentsOfDirectory(atPath: directory) {
                let path = "\(directory)/\(name)"
                if everything || Self.lastWrite(under: path) < cutoff { try? files.removeItem(atPath: path) }
            }
        }
    }

    private nonisolated static func lastWrite(under path: String) -> Date {
        let files = FileManager.default
        var newest = (try? files.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? .distantPast
        for name in (try? files.contentsOfDirectory(atPath: path)) ?? [] {
            if let date = try? files.attributesOfItem(atPath: "\(path)/\(name)")[.modificationDate] as? Date, date > newest { newest = date }
        }
        return newest
    }

    private func withdraw(_ id: UUID) {
        guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
        waiting.remove(at: index).continuation.resume(returning: false)
    }

    private func fits(_ bytes: Int64) -> Bool { reserved == 0 || bytes <= budget - reserved }

    /// Frees `bytes` and lets waiting jobs in, first come first served, while they fit.
    private func admit(freeing bytes: Int64) {
        reserved -= bytes
        while let next = waiting.first, fits(next.bytes) {
            waiting.removeFirst()
            reserved += next.bytes
            next.continuation.resume(returning: true)
        }
    }
}
