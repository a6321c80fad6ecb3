import Testing

@testable import HubSync

/// The cap on blocks sent to peers: a bucket of one second's bytes, reservations paid back at
/// the rate, in the order they were made. The arithmetic is checked at given instants, so no
/// test waits on the clock.
@Suite struct SendRateTests {
    let mib = 1 << 20

    @Test func aFullBucketSendsAtOnceThenEachReservationWaitsItsTurn() {
        let start = ContinuousClock.now
        let rate = SendRate(bytesPerSecond: Int64(4 * mib), now: start)
        #expect(rate.reserve(4 * mib, at: start) == .zero, "one second's worth goes out at once")
        #expect(rate.reserve(mib, at: start) == .milliseconds(250))
        // Two transfers asking at the same moment: the second waits behind the first.
        #expect(rate.reserve(2 * mib, at: start) == .milliseconds(750))
    }

    @Test func theBucketRefillsAtTheRateAndHoldsAtMostOneSecond() {
        let start = ContinuousClock.now
        let rate = SendRate(bytesPerSecond: Int64(4 * mib), now: start)
        #expect(rate.reserve(4 * mib, at: start) == .zero)
        #expect(rate.reserve(2 * mib, at: start.advanced(by: .milliseconds(500))) == .zero, "half a second refilled half")
        // A long quiet spell refills one second's worth, not more: a burst stays bounded.
        let later = start.advanced(by: .seconds(60))
        #expect(rate.reserve(4 * mib, at: later) == .zero)
        #expect(rate.reserve(4 * mib, at: later) == .seconds(1))
    }

    @Test func aChunkLargerThanTheBucketWaitsForWhatItOverdraws() {
        let start = ContinuousClock.now
        let rate = SendRate(bytesPerSecond: Int64(4 * mib), now: start)
        #expect(rate.reserve(16 * mib, at: start) == .seconds(3))
    }
}
