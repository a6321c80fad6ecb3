import Foundation
import Synchronization

/// Folds repeated refusals from one sender: the first in a minute is written, the rest are
/// counted and named in the next one written. Senders are bounded too, so a flood from many
/// addresses cannot grow it.
final class RefusalFolding: Sendable {
    private struct Sender {
        var written: Date
        var folded: Int
    }

    static let window: TimeInterval = 60
    static let maxSenders = 1_024
    private let senders = Mutex<[String: Sender]>([:])

    /// Nil when this refusal is only counted; otherwise how many were folded since the last
    /// one written.
    func admit(_ sender: String, at now: Date) -> Int? {
        senders.withLock { senders in
            if var known = senders[sender], now.timeIntervalSince(known.written) < Self.window {
                known.folded += 1
                senders[sender] = known
                return nil
            }
            if senders.count >= Self.maxSenders { senders = senders.filter { now.timeIntervalSince($0.value.written) < Self.window } }
            let folded = senders[sender]?.folded ?? 0
            senders[sender] = Sender(written: now, folded: 0)
            return folded
        }
    }
}
