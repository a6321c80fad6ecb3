import Foundation
import HubCore

/// Limits failed sign-ins per account and per client address within a sliding window, so a
/// password cannot be guessed faster than a handful of tries per quarter hour, while one
/// attacker guessing at many accounts is also stopped by the per-address limit.
///
/// Counts live in memory for one process (a restart forgets them, which bounds the harm of a
/// lock an attacker provokes on someone else's account to one window), or in the database
/// (`shared`) when several instances share it: guesses spread over instances count as one.
actor LoginThrottle {
    struct Limits: Sendable {
        var perAccount = 5
        var perAddress = 20
        var window: TimeInterval = 15 * 60
    }

    private let limits: Limits
    private let clock: any WallClock
    private let shared: (any SignInFailureLog)?
    private var failuresByAccount: [String: [Date]] = [:]
    private var failuresByAddress: [String: [Date]] = [:]
    /// Bounds memory under a flood of made-up names.
    private let maxTracked = 50_000

    init(limits: Limits = Limits(), clock: any WallClock, shared: (any SignInFailureLog)? = nil) {
        self.limits = limits
        self.clock = clock
        self.shared = shared
    }

    /// Throws 429 with `Retry-After` when either limit is reached; call before checking a password.
    func check(account: String, address: String) async throws {
        let now = clock.now()
        var waits: [TimeInterval]
        if let shared {
            let since = now.addingTimeInterval(-limits.window)
            waits = []
            for (key, limit) in [(Self.accountKey(account), limits.perAccount), (Self.addressKey(address), limits.perAddress)] {
                let failures = try await shared.failures(of: key, since: since)
                if failures.count >= limit, let oldest = failures.oldest { waits.append(limits.window - now.timeIntervalSince(oldest)) }
            }
        } else {
            waits = [
                wait(in: &failuresByAccount, key: account, limit: limits.perAccount, now: now),
                wait(in: &failuresByAddress, key: address, limit: limits.perAddress, now: now),
            ].compactMap { $0 }
        }
        guard let wait = waits.max() else { return }
        // At least a second (a failure about to leave the window still holds until it has), at
        // most the window (another instance's clock may run ahead of this one's).
        throw AccountError.tooManyAttempts(retryAfterSeconds: Int(min(max(wait, 1), limits.window).rounded(.up)))
    }

    func recordFailure(account: String, address: String) async throws {
        let now = clock.now()
        if let shared {
            try await shared.record(
                [Self.accountKey(account), Self.addressKey(address)], at: now, forgetBefore: now.addingTimeInterval(-limits.window))
            return
        }
        if failuresByAccount.count + failuresByAddress.count > maxTracked { prune(now: now) }
        failuresByAccount[account, default: []].append(now)
        failuresByAddress[address, default: []].append(now)
    }

    /// A successful sign-in clears the account's failures (not the address's: one right
    /// password must not reset a spray across accounts).
    func recordSuccess(account: String) async throws {
        if let shared {
            try await shared.clear(Self.accountKey(account))
        } else {
            failuresByAccount[account] = nil
        }
    }

    /// Keys in the shared log: an account name and an address never collide.
    static func accountKey(_ name: String) -> String { "account:" + name }
    static func addressKey(_ address: String) -> String { "address:" + address }

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
