import HubCore

/// Where a hub's objects are, as its database records it: the backend and, for S3, the bucket
/// (not a local path: a data directory may be moved and `UPLOAD_DIR` changed with it). `serve`
/// refuses to start on a store other than the recorded one, and `storage migrate` records the
/// new one when every object is copied.
public struct StorageLocation: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Where `configuration` keeps objects on `backend` (its own `STORAGE_BACKEND` when nil).
    public init(_ configuration: HubConfiguration, backend: HubConfiguration.StorageBackend? = nil) {
        switch backend ?? configuration.storageBackend {
        case .local: rawValue = "local"
        case .s3: rawValue = "s3://\(configuration.s3?.bucket ?? "")"
        }
    }

    /// A location as the database recorded it.
    public init(recorded: String) { rawValue = recorded }

    public var backend: HubConfiguration.StorageBackend { rawValue == "local" ? .local : .s3 }
    public var description: String { rawValue }

    static let settingName = "storageLocation"

    /// The location the database records, nil for a hub that never recorded one.
    public static func recorded(in settings: any HubSettingsRepository) async throws -> StorageLocation? {
        try await settings.value(settingName).map(StorageLocation.init(recorded:))
    }

    public func record(in settings: any HubSettingsRepository) async throws {
        try await settings.set(Self.settingName, to: rawValue)
    }

    /// Refuses to start on a store other than the one the videos are in: switching
    /// `STORAGE_BACKEND` without migrating stops the hub with one line instead of serving a
    /// library of missing videos and splitting new uploads from old. A hub with no videos yet
    /// may switch freely; the configured location is recorded.
    public func verifyAsRecorded(in settings: any HubSettingsRepository, videos: any VideoRepository) async throws {
        let recorded = try await Self.recorded(in: settings)
        guard recorded != self else { return }
        if let recorded, try await videos.count() > 0 {
            throw ConfigurationError(
                setting: "STORAGE_BACKEND",
                problem: "points at \(self), but this hub's videos are in \(recorded); "
                    + "copy them with `streamhub storage migrate --to \(backend.rawValue)` or set it back")
        }
        try await record(in: settings)
    }
}
