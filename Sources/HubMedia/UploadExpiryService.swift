import HubCore
import Logging
import ServiceLifecycle

/// Sweeps expired, unfinished uploads (tus expiration) on an interval, as a service beside the
/// web server so it starts and stops with it.
public struct UploadExpiryService: Service {
    let uploads: TusUploadService
    let interval: Duration
    let logger: Logger

    public init(uploads: TusUploadService, interval: Duration = .seconds(300), logger: Logger) {
        self.uploads = uploads
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // Graceful shutdown cancels the sleep; a sweep in progress finishes its current upload.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await uploads.sweepExpired()
                } catch {
                    logger.warning("sweeping expired uploads failed", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
