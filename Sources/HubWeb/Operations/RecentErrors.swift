import Foundation
import HubCore
import Synchronization

/// The latest requests the hub answered with a 5xx, with the request id their log lines carry,
/// for the operations page: the last 50, newest first.
final class RecentErrors: Sendable {
    struct Entry: Sendable, Equatable {
        var at: Date
        var requestID: String
        var method: String
        /// The path without its query, which may hold what a user typed.
        var path: String
        var status: Int
        var error: String
    }

    static let kept = 50
    private let entries = Mutex<[Entry]>([])
    /// The hub's clock, so the page's times agree with everything else it shows (and tests can
    /// set them).
    private let clock: any WallClock

    init(clock: any WallClock) { self.clock = clock }

    func record(requestID: String, method: String, path: String, status: Int, error: String) {
        let entry = Entry(at: clock.now(), requestID: requestID, method: method, path: path, status: status, error: error)
        entries.withLock { entries in
            entries.insert(entry, at: 0)
            if entries.count > Self.kept { entries.removeLast(entries.count - Self.kept) }
        }
    }

    var latest: [Entry] { entries.withLock { $0 } }
}
