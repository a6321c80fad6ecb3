import Foundation
import HubCore

/// Picks the `ObjectStore` the configuration names (`STORAGE_BACKEND`): the original deployment
/// guide's `StorageFactory.create_backend("local", base_path:)` / `("s3", bucket_name:, …)`.
public enum StorageFactory {
    public static func makeStore(_ configuration: HubConfiguration) throws(ConfigurationError) -> any ObjectStore {
        switch configuration.storageBackend {
        case .local:
            return LocalObjectStore(baseDirectory: configuration.uploadDirectory)
        case .s3:
            guard let s3 = configuration.s3 else {
                throw ConfigurationError(setting: "AWS_S3_BUCKET", problem: "is required when STORAGE_BACKEND=s3")
            }
            guard let accessKey = s3.accessKey, let secretKey = s3.secretKey else {
                throw ConfigurationError(
                    setting: "AWS_ACCESS_KEY", problem: "and AWS_SECRET_KEY (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) are required when STORAGE_BACKEND=s3")
            }
            var endpoint: URL?
            if let raw = s3.endpoint {
                guard let url = URL(string: raw), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                    throw ConfigurationError(setting: "AWS_S3_ENDPOINT", problem: "must be an http(s)://host[:port] URL, got '\(raw)'")
                }
                endpoint = url
            }
            return S3ObjectStore(settings: .init(
                bucket: s3.bucket, region: s3.region, credentials: AWSCredentials(accessKey: accessKey, secretKey: secretKey),
                endpoint: endpoint))
        }
    }

    /// The start-up check: a store that cannot be reached or written stops the hub with one line
    /// naming the setting to look at, instead of failing the first upload.
    public static func checkAtStartUp(_ store: any ObjectStore, configuration: HubConfiguration) async throws(ConfigurationError) {
        do {
            try await store.checkHealth()
        } catch let error as ObjectStoreError {
            let setting = configuration.storageBackend == .s3 ? "AWS_S3_BUCKET" : "UPLOAD_DIR"
            switch error {
            case .accessDenied(let message): throw ConfigurationError(setting: "AWS_ACCESS_KEY", problem: "is refused: \(message)")
            case .unavailable(let message) where message.contains("cannot be reached"):
                throw ConfigurationError(setting: "AWS_S3_ENDPOINT", problem: "is unreachable: \(message)")
            default: throw ConfigurationError(setting: setting, problem: "is not usable: \(error)")
            }
        } catch {
            throw ConfigurationError(setting: configuration.storageBackend == .s3 ? "AWS_S3_BUCKET" : "UPLOAD_DIR", problem: "is not usable: \(error)")
        }
    }
}
