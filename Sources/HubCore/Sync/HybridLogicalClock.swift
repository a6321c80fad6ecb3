import Foundation
import Synchronization

/// A hybrid logical clock reading: wall-clock milliseconds in the high 48 bits, a logical counter
/// in the low 16. Packed into one integer so it sorts, compares and indexes as a number, in SQL
/// as in Swift. Readings from one clock strictly increase, and a reading taken after seeing
/// another is greater than it, so causally later changes always carry larger stamps.
public struct HLCTimestamp: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(milliseconds: UInt64, logical: UInt16 = 0) {
        rawValue = milliseconds << 16 | UInt64(logical)
    }

    public var milliseconds: UInt64 { rawValue >> 16 }
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "\(milliseconds).\(logical)" }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The hub's hybrid logical clock (Kulkarni et al.): close to wall time, so last-writer-wins
/// picks what people perceive as the latest edit, yet monotonic and causal even when wall clocks
/// step backwards or disagree between peers.
public final class HybridLogicalClock: Sendable {
    private let wallClock: any WallClock
    private let last = Mutex<UInt64>(0)

    public init(wallClock: any WallClock) {
        self.wallClock = wallClock
    }

    private var physical: UInt64 {
        UInt64(max(0, wallClock.now().timeIntervalSince1970 * 1000)) << 16
    }

    /// A reading for a local change. With the counter in the low bits, "max(last + 1, wall)" is
    /// exactly HLC's rule: the counter ticks while wall time stands still and resets when it moves.
    public func now() -> HLCTimestamp {
        let wall = physical
        return HLCTimestamp(rawValue: last.withLock { last in
            last = max(last + 1, wall)
            return last
        })
    }

    /// Takes a reading from another node into account, so the next local reading is after it.
    public func observe(_ remote: HLCTimestamp) {
        last.withLock { last in last = max(last, remote.rawValue) }
    }
}

/// Orders concurrent writes to one register everywhere the same way: by clock, then by node.
public struct ChangeStamp: Comparable, Hashable, Sendable, Codable {
    public var clock: HLCTimestamp
    public var node: NodeID

    public init(clock: HLCTimestamp, node: NodeID) {
        self.clock = clock
        self.node = node
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.clock, lhs.node.rawValue) < (rhs.clock, rhs.node.rawValue)
    }
}
