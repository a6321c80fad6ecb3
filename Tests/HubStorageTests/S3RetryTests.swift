import Foundation
import HubCore
import Testing

@testable import HubStorage

/// The retry policy of the S3 store: exponential backoff with full jitter.
@Suite struct S3RetryTests {
    @Test func delaysGrowAndAreJittered() {
        let store = S3ObjectStore(settings: .init(bucket: "b", region: "r", credentials: .init(accessKey: "a", secretKey: "s"), endpoint: nil))
        let third = (0..<200).map { _ in store.retryDelay(3) }
        #expect(third.allSatisfy { $0 <= .milliseconds(800) })
        #expect(Set(third).count > 50, "jittered, not a fixed delay")
    }
}
