import Foundation
import NIOConcurrencyHelpers

/// Remembers unfinished uploads' URLs in a small JSON file, so `streamhub upload` run again on
/// the same file (same path, size and modification time) continues where it stopped.
public final class ResumeStore: Sendable {
    let path: String
    private let lock = NIOLock()

    public init(path: String) {
        self.path = path
    }

    /// `$XDG_STATE_HOME/streamhub/uploads.json`, else `~/.local/state/streamhub/uploads.json`.
    public static func standard() -> ResumeStore {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_STATE_HOME"] ?? ((environment["HOME"] ?? ".") + "/.local/state")
        return ResumeStore(path: base + "/streamhub/uploads.json")
    }

    public func location(for key: String) -> String? { lock.withLock { read()[key] } }

    public func remember(_ location: String, for key: String) {
        lock.withLock {
            var entries = read()
            entries[key] = location
            write(entries)
        }
    }

    public func forget(_ key: String) {
        lock.withLock {
            var entries = read()
            entries[key] = nil
            write(entries)
        }
    }

    private func read() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        return (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
    }

    private func write(_ entries: [String: String]) {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? JSONEncoder().encode(entries).write(to: url, options: .atomic)
    }
}
