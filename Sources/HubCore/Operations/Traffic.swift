import Foundation
import Synchronization

/// Bytes that crossed the hub's edge on one day (UTC): what the storage report's 30-day volume
/// and the egress part of its cost estimate are made of. Kept in the database, so a restart
/// loses nothing and the instances of one deployment add up.
public struct TrafficCounts: Sendable, Equatable {
    /// Upload bytes stored (tus and form uploads).
    public var uploadedBytes: Int64
    /// Bytes of videos and renditions sent to browsers and clients.
    public var streamedBytes: Int64
    /// Bytes of shared videos' blocks sent to peers.
    public var peerSentBytes: Int64

    public init(uploadedBytes: Int64 = 0, streamedBytes: Int64 = 0, peerSentBytes: Int64 = 0) {
        self.uploadedBytes = uploadedBytes
        self.streamedBytes = streamedBytes
        self.peerSentBytes = peerSentBytes
    }

    /// What leaves the hub, which a provider bills as transfer out.
    public var egressBytes: Int64 { streamedBytes &+ peerSentBytes }

    public static func + (lhs: TrafficCounts, rhs: TrafficCounts) -> TrafficCounts {
        TrafficCounts(
            uploadedBytes: lhs.uploadedBytes &+ rhs.uploadedBytes, streamedBytes: lhs.streamedBytes &+ rhs.streamedBytes,
            peerSentBytes: lhs.peerSentBytes &+ rhs.peerSentBytes)
    }
}

/// The day a count belongs to: `yyyy-MM-dd` in UTC, which sorts as it reads.
public struct TrafficDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(_ date: Date) {
        self.init(daysSinceEpoch: Self.daysSinceEpoch(date))
    }

    init(daysSinceEpoch days: Int) {
        let civil = Self.civil(daysSinceEpoch: days)
        rawValue = String(format: "%04d-%02d-%02d", civil.year, civil.month, civil.day)
    }

    public var description: String { rawValue }
    public static func < (lhs: TrafficDay, rhs: TrafficDay) -> Bool { lhs.rawValue < rhs.rawValue }

    static func daysSinceEpoch(_ date: Date) -> Int {
        Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count, without a
    /// calendar object (and its locale and time zone) per count.
    private static func civil(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

public protocol TrafficRepository: Sendable {
    /// Adds `counts` to each day's totals (creating the day's row): several instances add to
    /// the same rows.
    func add(_ counts: [TrafficDay: TrafficCounts]) async throws
    /// The totals of the days from `since` on, inclusive.
    func totals(since: TrafficDay) async throws -> TrafficCounts
}

/// Counts traffic as it happens and writes it in batches (`flush`, every few seconds), so a
/// stream's bytes never wait on a database write. A crash loses the last few seconds' counts;
/// a failed write keeps them for the next flush.
public final class TrafficTally: Sendable {
    private let clock: any WallClock
    /// By day since 1970: the day's name is made once per flush, not once per count.
    private let pending = Mutex<[Int: TrafficCounts]>([:])

    public init(clock: any WallClock) {
        self.clock = clock
    }

    public func uploaded(_ bytes: Int) { add(TrafficCounts(uploadedBytes: Int64(bytes))) }
    public func streamed(_ bytes: Int) { add(TrafficCounts(streamedBytes: Int64(bytes))) }
    public func sentToPeer(_ bytes: Int) { add(TrafficCounts(peerSentBytes: Int64(bytes))) }

    private func add(_ counts: TrafficCounts) {
        let day = TrafficDay.daysSinceEpoch(clock.now())
        pending.withLock { $0[day, default: TrafficCounts()] = $0[day, default: TrafficCounts()] + counts }
    }

    /// Writes what is pending; a report calls it first so it includes the latest bytes.
    public func flush(to repository: any TrafficRepository) async throws {
        let counts = pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !counts.isEmpty else { return }
        do {
            try await repository.add(Dictionary(uniqueKeysWithValues: counts.map { (TrafficDay(daysSinceEpoch: $0.key), $0.value) }))
        } catch {
            // Kept for the next flush rather than lost with a database that blinked.
            pending.withLock { pending in
                for (day, count) in counts { pending[day, default: TrafficCounts()] = pending[day, default: TrafficCounts()] + count }
            }
            throw error
        }
    }
}
