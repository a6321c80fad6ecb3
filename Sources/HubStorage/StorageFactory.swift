import AsyncHTTPClient
import Foundation
import HubCore
import Logging
import NIOCore

/// Picks the `ObjectStore` the configuration names (`STORAGE_BACKEND`: local disk under
/// `UPLOAD_DIR`, or an S3 bucket), with the disk cache in front of S3 when `CACHE_DIR` is set.
public enum StorageFactory {
    /// The cache budget when `CACHE_DIR` is set without `CACHE_MAX_BYTES`.
    public static let defaultCacheMaxBytes: Int64 = 10 << 30

    /// - Parameter http: the client S3 requests go through; `makeHTTPClient()` gives one with the
    ///   timeouts the hub wants, which its owner shuts down.
    public static func makeStore(
        _ configuration: HubConfiguration, backend: HubConfiguration.StorageBackend? = nil, http: HTTPClient = .shared,
        logger: Logger = Logger(label: "streamhub.storage"), metrics: HubMetrics = .disabled
    ) throws(ConfigurationError) -> any ObjectStore {
        switch backend ?? configuration.storageBackend {
        case .local:
            if configuration.cacheDirectory != nil, backend == nil {
                throw ConfigurationError(setting: "CACHE_DIR", problem: "is a cache in front of S3 and needs STORAGE_BACKEND=s3")
            }
            return LocalObjectStore(baseDirectory: configuration.uploadDirectory, metrics: metrics)
        case .s3:
            let s3 = try S3ObjectStore(settings: s3Settings(configuration), http: http, metrics: metrics)
            guard backend == nil, let directory = configuration.cacheDirectory else { return s3 }
            return CachedObjectStore(
                origin: s3, directory: directory, maxBytes: configuration.cacheMaxBytes ?? defaultCacheMaxBytes, logger: logger)
        }
    }

    /// Where tus uploads in progress wait when objects are in S3 (behind the disk cache or not):
    /// in the bucket, as multipart parts, so any instance can continue any upload. Nil for local
    /// storage, where they wait in `UPLOAD_DIR` (a mount every instance shares).
    public static func uploadParts(of store: any ObjectStore) -> (any ObjectStore & UploadPartStore)? {
        if let cached = store as? CachedObjectStore { return uploadParts(of: cached.origin) }
        return store as? any ObjectStore & UploadPartStore
    }

    static func s3Settings(_ configuration: HubConfiguration) throws(ConfigurationError) -> S3ObjectStore.Settings {
        guard let s3 = configuration.s3 else {
            throw ConfigurationError(setting: "AWS_S3_BUCKET", problem: "is required to store objects in S3")
        }
        guard let accessKey = s3.accessKey, let secretKey = s3.secretKey else {
            throw ConfigurationError(
                setting: "AWS_ACCESS_KEY", problem: "and AWS_SECRET_KEY (or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) are required to store objects in S3")
        }
        var endpoint: URL?
        if let raw = s3.endpoint {
            guard let url = URL(string: raw), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ConfigurationError(setting: "AWS_S3_ENDPOINT", problem: "must be an http(s)://host[:port] URL, got '\(raw)'")
            }
            endpoint = url
        }
        return .init(bucket: s3.bucket, region: s3.region, credentials: AWSCredentials(accessKey: accessKey, secretKey: secretKey), endpoint: endpoint)
    }

    /// An HTTP client for S3 with separate deadlines: connecting must succeed within 5 s (an
    /// unreachable endpoint fails fast and the request is retried), and a response that stops
    /// sending for 60 s is given up, however long a healthy stream of a large video takes.
    public static func makeHTTPClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(60))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// The start-up check: a store that cannot be reached or written stops the hub with one line
    /// naming the setting to look at, instead of failing the first upload. A local store written
    /// before objects were sharded is moved to the sharded layout here.
    public static func checkAtStartUp(_ store: any ObjectStore, configuration: HubConfiguration) async throws(ConfigurationError) {
        let setting = configuration.storageBackend == .s3 ? "AWS_S3_BUCKET" : "UPLOAD_DIR"
        // The cache is checked on its own first, so its failure names CACHE_DIR.
        if let cached = store as? CachedObjectStore {
            do {
                try await cached.cache.checkHealth()
            } catch {
                throw ConfigurationError(setting: "CACHE_DIR", problem: "is not usable: \(error)")
            }
        }
        do {
            try await store.checkHealth()
            if let local = store as? LocalObjectStore { try await local.upgradeLayout() }
        } catch ObjectStoreError.accessDenied(let message) {
            throw ConfigurationError(setting: "AWS_ACCESS_KEY", problem: "is refused: \(message)")
        } catch ObjectStoreError.unreachable(let message) {
            throw ConfigurationError(setting: "AWS_S3_ENDPOINT", problem: "is unreachable: \(message)")
        } catch {
            throw ConfigurationError(setting: setting, problem: "is not usable: \(error)")
        }
    }
}
