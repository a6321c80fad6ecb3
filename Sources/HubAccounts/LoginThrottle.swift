import Foundation
import HubCore

/// Limits failed sign-ins per account and per client address within a sliding window, so a
/// password cannot be guessed faster than a handful of tries per quarter hour, while one
/// attacker guessing at many accounts is also stopped by the per-address limit.
///
/// Counts live in memory, per instance: a restart forgets them, which bounds the harm of a lock
/// an attacker provokes on someone else's account to one window.
actor LoginThrottle {
    struct Limits: Sendable {
        var perAccount = 5
        var perAddress = 20
        var window: TimeInterval = 15 * 60
    }

    private let limits: Limits
    private let clock: any WallClock
    private var failuresByAccount: [String: [Date]] = [:]
    private var failuresByAddress: [String: [Date]] = [:]
    /// Bounds memory under a flood of made-up names.
    private let maxTracked = 50_000

    init(limits: Limits = Limits(), clock: any WallClock) {
        self.limits = limits
        self.clock = clock
    }

    /// Throws 429 with `Retry-After` when either limit is reached; call before checking a password.
    func check(account: String, address: String) throws(AccountError) {
        let now = clock.now()
        let waits = [
            wait(in: &failuresByAccount, key: account, limit: limits.perAccount, now: now),
            wait(in: &failuresByAddress, key: address, limit: limits.perAddress, now: now),
        ].compactMap { $0 }
        guard let wait = waits.max() else { return }
        let seconds = Int(wait.rounded(.up))
        throw .tooManyAttempts(retryAfterSeconds: seconds)
    }

    func recordFailure(account: String, address: String) {
        let now = clock.now()
        if failuresByAccount.count + failuresByAddress.count > maxTracked { prune(now: now) }
        failuresByAccount[account, default: []].append(now)
        failuresByAddress[address, default: []].append(now)
    }

    /// A successful sign-in clears the account's failures (not the address's: one right
    /// password must not reset a spray across accounts).
    func recordSuccess(account: String) {
        failuresByAccount[account] = nil
    }

    private func wait(in table: inout [String: [Date]], key: String, limit: Int, now: Date) -> TimeInterval? {
        guard var failures = table[key] else { return nil }
        failures.removeAll { now.timeIntervalSince($0) >= limits.window }
        table[key] = failures.isEmpty ? nil : failures
        guard failures.count >= limit, let oldest = failures.first else { return nil }
        return limits.window - now.timeIntervalSince(oldest)
    }

    private func prune(now: Date) {
        let window = limits.window
        failuresByAccount = failuresByAccount.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
        failuresByAddress = failuresByAddress.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
        if failuresByAccount.count + failuresByAddress.count > maxTracked {
            failuresByAccount.removeAll()
            failuresByAddress.removeAll()
        }
    }
}
