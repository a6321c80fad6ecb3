import Foundation
import HubCore
import Logging
import ServiceLifecycle

/// Runs the processing queue's jobs: up to `MEDIA_WORKERS` at once, each claimed from the queue,
/// run while its lease is renewed, and its outcome recorded on the video.
///
/// A job that throws is tried again after a backoff that doubles from 2 s up to 10 minutes, at
/// most `maxAttempts` times; a `VideoPreparation.Refusal` (a file that can never succeed) fails
/// at once. Either way the video ends `failed` with the reason, and its owner can retry it.
/// A `previews` or `ladder` job that fails for good leaves the video ready: it plays without them.
/// Graceful shutdown cancels the jobs running (ffmpeg is killed with them); their leases run
/// out, or are freed at the next start, and they run again from the beginning.
public struct MediaWorkers: Service {
    public struct Settings: Sendable {
        public var workers: Int
        public var lease: Duration
        public var idlePoll: Duration
        public var maxAttempts: Int
        /// Whether this process is the database's only one (SQLite): then it frees every lease
        /// at start, taking its interrupted jobs back at once.
        public var soleProcess: Bool

        public init(workers: Int, lease: Duration = .seconds(30), idlePoll: Duration = .milliseconds(200), maxAttempts: Int = 5, soleProcess: Bool) {
            self.workers = workers
            self.lease = lease
            self.idlePoll = idlePoll
            self.maxAttempts = maxAttempts
            self.soleProcess = soleProcess
        }
    }

    let settings: Settings
    let queue: any MediaJobQueue
    let videos: any VideoRepository
    let preparation: VideoPreparation
    let catalogue: VideoCatalogue
    let clock: any WallClock
    let metrics: ProcessingMetrics
    let logger: Logger
    /// Names this process's claims, so a lease is renewed and released only by its holder.
    let identity = "worker-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"

    public init(
        settings: Settings, queue: any MediaJobQueue, videos: any VideoRepository, preparation: VideoPreparation, catalogue: VideoCatalogue,
        clock: any WallClock, metrics: ProcessingMetrics = .disabled, logger: Logger
    ) {
        self.metrics = metrics
        self.settings = settings
        self.queue = queue
        self.videos = videos
        self.preparation = preparation
        self.catalogue = catalogue
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        guard settings.workers > 0 else {
            // A service that returns early ends the hub: with no workers, wait for shutdown.
            try? await gracefulShutdown()
            return
        }
        // What a killed job left behind; with other instances on the database, only what has
        // gone untouched for an hour (theirs are written to as they run).
        await preparation.scratch.removeLeftovers(everything: settings.soleProcess)
        if settings.soleProcess {
            do {
                try await queue.releaseEveryClaim()
            } catch is CancellationError {
                return  // stopped while starting
            } catch {
                logger.warning("could not free the leases of interrupted jobs; they run again when the leases end", metadata: ["error": "\(error)"])
            }
        }
        await cancelWhenGracefulShutdown { await dispatch() }
    }

    /// One loop claims for every worker: an idle instance asks the database five times a second
    /// whatever `MEDIA_WORKERS` is, and a claimed job starts at once in a free slot.
    private func dispatch() async {
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            var slot = 0
            while !Task.isCancelled {
                if running == settings.workers {
                    await group.next()
                    running -= 1
                    continue
                }
                let job: MediaJob?
                let worker = "\(identity)-\(slot)"
                do {
                    let now = clock.now()
                    job = try await queue.claim(by: worker, now: now, until: now.addingTimeInterval(settings.lease.seconds))
                } catch is CancellationError {
                    break  // shutting down
                } catch {
                    logger.warning("could not claim a processing job", metadata: ["error": "\(error)"])
                    job = nil
                }
                if let job {
                    running += 1
                    slot += 1
                    group.addTask { await run(job, as: worker) }
                } else {
                    try? await Task.sleep(for: settings.idlePoll)
                }
            }
        }
    }

    /// Runs `job` while a sibling task renews its lease; losing the lease (the database dropped
    /// it, another instance took the job) stops the work, whose outcome is then not recorded.
    func run(_ job: MediaJob, as worker: String) async {
        let start = ContinuousClock.now
        let outcome: Result<ProcessingUpdate, any Error>? = await withTaskGroup(of: Result<ProcessingUpdate, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await perform(job)) } catch { return .failure(error) }
            }
            group.addTask { await keepLease(of: job, as: worker) }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let outcome, !Task.isCancelled else { return }  // lease lost, or shutting down
        let ran = ContinuousClock.now - start
        switch outcome {
        case .success(let update):
            metrics.ran(job.kind, for: ran, outcome: .done)
            await finish(job, as: worker, recording: update)
        case .failure(let error as VideoPreparation.Refusal):
            metrics.ran(job.kind, for: ran, outcome: .failed)
            await fail(job, as: worker, reason: error.reason, retryAt: nil)
        case .failure(let error):
            let retryAt = job.attempts < settings.maxAttempts ? clock.now().addingTimeInterval(backoff(after: job.attempts).seconds) : nil
            metrics.ran(job.kind, for: ran, outcome: retryAt == nil ? .failed : .retried)
            await fail(job, as: worker, reason: "\(error)", retryAt: retryAt)
        }
    }

    /// The work itself; a video deleted meanwhile needs none.
    private func perform(_ job: MediaJob) async throws -> ProcessingUpdate {
        guard let video = try await videos.find(job.videoID) else { return ProcessingUpdate(state: nil) }
        switch job.kind {
        case .prepare:
            let videos = self.videos
            let clock = self.clock
            return try await preparation.prepare(video) { fraction in
                _ = try? await videos.recordProcessing(video.id, ProcessingUpdate(state: .processing(fraction)), at: clock.now())
            }
        case .previews:
            return try await preparation.previews(of: video)
        case .ladder:
            return try await preparation.ladder(of: video)
        }
    }

    /// Renews the lease every third of it; returns (nil) only when it was lost.
    private func keepLease(of job: MediaJob, as worker: String) async -> Result<ProcessingUpdate, any Error>? {
        while true {
            do {
                try await Task.sleep(for: settings.lease / 3)
                let held = try await queue.renew(job, by: worker, until: clock.now().addingTimeInterval(settings.lease.seconds))
                if !held {
                    logger.warning("a processing job's lease was lost; its outcome is left to whoever holds it", metadata: ["video.id": "\(job.videoID)"])
                    return nil
                }
            } catch is CancellationError {
                return nil
            } catch {
                // The lease lasts three renewals: a database blip is ridden out.
                logger.warning("could not renew a processing job's lease", metadata: ["video.id": "\(job.videoID)", "error": "\(error)"])
            }
        }
    }

    private func finish(_ job: MediaJob, as worker: String, recording update: ProcessingUpdate) async {
        do {
            var next: [MediaJobKind] = []
            if let video = try await videos.recordProcessing(job.videoID, update, at: clock.now()) {
                switch job.kind {
                case .prepare:
                    logger.info("video ready", metadata: ["video.id": "\(video.id)", "attempts": "\(job.attempts)"])
                    metrics.madeReady(after: .seconds(max(0, clock.now().timeIntervalSince(video.createdAt))))
                    await catalogue.publish(video)
                    next = preparation.followUps(after: update)
                case .previews, .ladder:
                    logger.info("\(job.kind.work) made", metadata: ["video.id": "\(video.id)", "attempts": "\(job.attempts)"])
                }
            } else {
                // Deleted while its job ran: what the job stored goes too.
                for key in update.objectKeys { try? await preparation.store.delete(ObjectKey(key)) }
            }
            try await queue.complete(job, by: worker, queueing: next, at: clock.now())
        } catch is CancellationError {
            // Shutting down: the job runs again at the next start.
        } catch {
            // The job runs again once its lease ends; every step of it can.
            logger.warning("could not record a finished processing job", metadata: ["video.id": "\(job.videoID)", "error": "\(error)"])
        }
    }

    private func fail(_ job: MediaJob, as worker: String, reason: String, retryAt: Date?) async {
        do {
            if retryAt == nil, job.kind == .prepare {
                _ = try await videos.recordProcessing(job.videoID, ProcessingUpdate(state: .failed(reason)), at: clock.now())
                logger.error("video processing failed", metadata: ["video.id": "\(job.videoID)", "attempts": "\(job.attempts)", "reason": "\(reason)"])
            } else if retryAt == nil {
                // The video plays without them: it stays ready, and a retry of it queues them again.
                logger.error("\(job.kind.work) failed", metadata: ["video.id": "\(job.videoID)", "attempts": "\(job.attempts)", "reason": "\(reason)"])
            } else {
                logger.warning("video processing failed; retrying", metadata: ["video.id": "\(job.videoID)", "attempts": "\(job.attempts)", "error": "\(reason)"])
            }
            try await queue.fail(job, by: worker, error: reason, retryAt: retryAt)
        } catch is CancellationError {
            // Shutting down: the job runs again at the next start.
        } catch {
            logger.warning("could not record a failed processing job", metadata: ["video.id": "\(job.videoID)", "error": "\(error)"])
        }
    }

    /// 2 s after the first attempt, doubling, at most 10 minutes.
    func backoff(after attempts: Int) -> Duration {
        .seconds(min(600, 1 << min(max(attempts, 1), 10)))
    }
}
