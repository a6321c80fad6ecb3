import HubCore
import HubMedia
import HubStorage
import ServiceLifecycle
import Synchronization

/// What must hold before the hub answers anyone: its store answers (and a local store's layout
/// is current), and it is the store the database says the videos are in (the database itself
/// was checked and migrated when the services were built, `HubServices.live`). A failure stops
/// the hub with one line naming the setting to fix.
enum HubStartUp {
    static func run(_ hub: HubServices) async throws {
        let configuration = hub.configuration
        try await StorageFactory.checkAtStartUp(hub.videos.store, configuration: configuration)
        try await StorageLocation(configuration).verifyAsRecorded(in: hub.dependencies.repositories.settings, videos: hub.videos.repository)
    }
}

/// The start-up checks, run once for everything that waits for them: the web server before it
/// answers, and the background services before they touch the store or the queues. Whoever asks
/// first starts them; the others wait for the same outcome.
final class StartUpCheck: Sendable {
    private let checks: @Sendable () async throws -> Void
    private let running = Mutex<Task<Void, any Error>?>(nil)

    init(_ checks: @escaping @Sendable () async throws -> Void) {
        self.checks = checks
    }

    /// Returns once the checks pass; throws their error when they fail.
    func passed() async throws {
        let task = running.withLock { running in
            if let running { return running }
            let checks = self.checks
            let started = Task { try await checks() }
            running = started
            return started
        }
        try await task.value
    }
}

/// Runs `service` once the start-up checks pass. When they fail the web server ends the service
/// group with the error; this one never starts its service and waits to be stopped, so the one
/// line that names the setting to fix is all the operator sees.
struct AfterStartUp: Service {
    let service: any Service
    let startUp: StartUpCheck

    func run() async throws {
        do {
            try await startUp.passed()
        } catch {
            try? await gracefulShutdown()
            return
        }
        try await service.run()
    }
}
