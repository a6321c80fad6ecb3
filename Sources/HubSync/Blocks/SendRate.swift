import HubCore
import Synchronization

/// A cap on the bytes per second this hub sends peers as blocks of videos
/// (`P2P_SEND_BYTES_PER_SECOND`), over all of them together, so a hub on a home uplink can keep
/// replicas for others without its own viewers losing the line. A token bucket holding one
/// second of sending: a burst after a quiet moment is bounded too. Each chunk reserves its bytes
/// before it goes out and waits, if the bucket is overdrawn, until they are paid back, so
/// concurrent transfers share the rate in the order they asked.
///
/// A capped holder answers slowly rather than refusing: fetchers rank holders by their requests
/// in flight, so they turn to the others.
public final class SendRate: Sendable {
    public let bytesPerSecond: Int64
    private let bucket: Mutex<Bucket>

    struct Bucket {
        /// Bytes that may go out now; negative when reservations are waiting.
        var available: Double
        var at: ContinuousClock.Instant
    }

    public init(bytesPerSecond: Int64, now: ContinuousClock.Instant = .now) {
        // The configuration refuses less than 4 MiB/s; zero would make every wait infinite.
        precondition(bytesPerSecond > 0, "a send rate must be positive")
        self.bytesPerSecond = bytesPerSecond
        self.bucket = Mutex(Bucket(available: Double(bytesPerSecond), at: now))
    }

    /// Waits until `bytes` may be sent; throws `CancellationError` when the asker goes away.
    public func take(_ bytes: Int) async throws {
        let wait = reserve(bytes, at: .now)
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    /// Reserves `bytes` at `now`: how long to wait before sending them.
    func reserve(_ bytes: Int, at now: ContinuousClock.Instant) -> Duration {
        let rate = Double(bytesPerSecond)
        return bucket.withLock { bucket in
            let elapsed = max(0, (now - bucket.at).seconds)
            bucket.available = min(rate, bucket.available + elapsed * rate) - Double(bytes)
            bucket.at = max(bucket.at, now)
            return bucket.available >= 0 ? .zero : .nanoseconds(Int64((-bucket.available / rate * 1e9).rounded(.up)))
        }
    }
}
