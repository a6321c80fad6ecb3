import CoreMetrics
import HubCore

/// The `ObjectStore` operations the store's figures are kept for.
public enum StoreOperation: String, CaseIterable, Sendable {
    case put, read, head, delete, copy, list, health
}

/// A backend's figures: how long each operation takes and how often it fails
/// (`streamhub_storage_operation_duration_seconds`, `streamhub_storage_errors_total`, by
/// `backend` and `operation`), and how many requests to S3 were sent again
/// (`streamhub_storage_retries_total`). A missing object is an answer, not an error.
public struct StoreMetrics: Sendable {
    let operations: OperationMetrics<StoreOperation>
    private let retries: Counter

    public init(_ metrics: HubMetrics, backend: String) {
        operations = OperationMetrics(
            metrics, durations: "streamhub_storage_operation_duration_seconds", errors: "streamhub_storage_errors_total",
            labels: [("backend", backend)],
            isExpected: { error in
                if case ObjectStoreError.notFound = error { return true }
                return false
            })
        retries = metrics.counter("streamhub_storage_retries_total", [("backend", backend)])
    }

    public static var disabled: StoreMetrics { StoreMetrics(.disabled, backend: "none") }

    func retried() { retries.increment() }

    func measure<T>(_ operation: StoreOperation, _ body: () async throws -> T) async throws -> T {
        try await operations.measure(operation, body)
    }
}
