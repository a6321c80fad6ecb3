import Foundation

/// This process's resident memory as Linux reports it in `/proc/self/status`: what the
/// benchmarks print next to their timings.
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`) in bytes, since start or the last `resetPeak()`; 0 where
    /// `/proc` is not available.
    public static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Starts a new peak from the current size (writing 5 to `clear_refs`), so a measurement's
    /// peak is its own and not that of the setup before it.
    public static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}
