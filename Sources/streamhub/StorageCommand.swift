import ArgumentParser
import AsyncHTTPClient
import Foundation
import HubAPI
import HubCore
import HubDatabase
import HubStorage
import HubWeb

/// `streamhub storage …`: operations on where the hub keeps video bytes.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage", abstract: "Work with the hub's object storage.", subcommands: [Report.self, Migrate.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the store holds, whose it is, the last 30 days' traffic, and a monthly cost estimate.",
            discussion: """
                Walks the store the hub is configured for (every object's key and size) and reads the \
                database: bytes and objects by tier, the accounts and videos that take the most room, \
                uploads and egress over the last 30 days as the hub counted them, and a month's cost at \
                COST_STORAGE_PER_GB_MONTH, COST_EGRESS_PER_GB, COST_CDN_PER_GB and \
                COST_ARCHIVE_PER_GB_MONTH (AWS's list prices unless set). Safe while the hub runs.
                """)

        @Flag(help: "Print the report as JSON (as GET /api/v1/admin/storage answers).") var json = false
        @OptionGroup var options: HubOptions

        func run() async throws {
            let report = try await options.withServices { hub in try await hub.storageReport() }
            if json {
                let encoder = WireFormat.encoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(Self.text(report), terminator: "")
            }
        }

        static func text(_ report: StorageReport) -> String {
            func money(_ amount: Double) -> String { String(format: "%.2f", amount) }
            var lines = ["Storage on \(report.backend): \(Format.bytes(report.totalBytes)) in \(report.totalObjects) object(s)"]
            for tier in report.tiers {
                lines.append("  \(tier.tier.rawValue.aligned(18)) \(Format.bytes(tier.bytes).aligned(12, right: true))  \(tier.objects) object(s)")
            }
            if !report.owners.isEmpty {
                lines.append("By owner:")
                for owner in report.owners {
                    lines.append("  \((owner.owner ?? "(deleted account)").aligned(18)) \(Format.bytes(owner.bytes).aligned(12, right: true))  \(owner.videos) video(s)")
                }
            }
            if !report.largestVideos.isEmpty {
                lines.append("Largest videos:")
                for video in report.largestVideos {
                    lines.append("  \(video.id)  \(Format.bytes(video.bytes).aligned(12, right: true))  \(video.title) (\(video.owner ?? "no owner"))")
                }
            }
            let traffic = report.traffic
            lines.append("Last \(traffic.days) days: \(Format.bytes(traffic.uploadedBytes)) uploaded, \(Format.bytes(traffic.egressBytes)) out (\(Format.bytes(traffic.streamedBytes)) streamed, \(Format.bytes(traffic.peerSentBytes)) to peers)")
            let cost = report.monthlyCost
            lines.append("Monthly estimate: \(money(cost.total)) (storage \(money(cost.storage)), archive \(money(cost.archive)), egress \(money(cost.egress))); through a CDN \(money(cost.totalThroughCDN))")
            let rates = report.rates
            lines.append("  at \(rates.storagePerGBMonth)/GB-month stored, \(rates.archivePerGBMonth)/GB-month archived, \(rates.egressPerGB)/GB out, \(rates.cdnPerGB)/GB through a CDN")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every stored object to another backend, verified by SHA-256.",
            discussion: """
                Copies from where the hub's objects are now to the backend named by --to, configured by the \
                same settings the hub reads (UPLOAD_DIR; AWS_S3_BUCKET and the AWS_* settings). Each copy is \
                read back and its SHA-256 compared. Interrupted, it resumes where it stopped; run again, it \
                copies only what is new. When every object is copied, the hub's database records the new \
                location: set STORAGE_BACKEND to match and restart the hub. Stop the hub first, or run the \
                migration again after stopping it, so uploads made meanwhile are copied too.
                """)

        @Option(help: "Where to copy the objects: s3 or local.") var to: String
        @OptionGroup var options: HubOptions

        func run() async throws {
            guard let target = HubConfiguration.StorageBackend(rawValue: to.lowercased()) else {
                throw ValidationError("--to must be s3 or local")
            }
            let configuration = await options.configuration()
            try await options.withDatabase(configuration) { database in
                try await migrate(to: target, configuration: configuration, settings: database.repositories.settings)
            }
        }

        private func migrate(to target: HubConfiguration.StorageBackend, configuration: HubConfiguration, settings: any HubSettingsRepository) async throws {
            let recorded = try await StorageLocation.recorded(in: settings)
            let targetLocation = StorageLocation(configuration, backend: target)
            // The source is where the objects are: the configured backend, unless that is already
            // the target (STORAGE_BACKEND changed before migrating), then the one last recorded.
            var sourceBackend = configuration.storageBackend
            if sourceBackend == target, let recorded, recorded != targetLocation {
                sourceBackend = recorded.backend
            }
            guard StorageLocation(configuration, backend: sourceBackend) != targetLocation else {
                print("The objects are already in \(targetLocation); nothing to copy.")
                return
            }
            let http = StorageFactory.makeHTTPClient()
            do {
                try await migrate(from: sourceBackend, to: target, configuration: configuration, settings: settings, http: http)
            } catch {
                try await http.shutdown()
                if let error = error as? ConfigurationError { HubOptions.fail(error) }
                throw Failure.report("migration stopped: \(error). Run the same command again to resume.")
            }
            try await http.shutdown()
        }

        private func migrate(
            from sourceBackend: HubConfiguration.StorageBackend, to target: HubConfiguration.StorageBackend,
            configuration: HubConfiguration, settings: any HubSettingsRepository, http: HTTPClient
        ) async throws {
            let source = try StorageFactory.makeStore(configuration, backend: sourceBackend, http: http)
            let destination = try StorageFactory.makeStore(configuration, backend: target, http: http)
            for (store, backend) in [(source, sourceBackend), (destination, target)] {
                var checked = configuration
                checked.storageBackend = backend
                try await StorageFactory.checkAtStartUp(store, configuration: checked)
            }
            let targetLocation = StorageLocation(configuration, backend: target)
            let journal = (configuration.dataDirectory as NSString).appendingPathComponent("storage-migration-\(target.rawValue).journal")
            let interactive = isatty(STDERR_FILENO) == 1
            let migration = StorageMigration(source: source, destination: destination, journalPath: journal)
            let started = ContinuousClock.now
            let result = try await migration.run { progress in
                let line =
                    "[\(progress.objectsDone)/\(progress.objectsTotal)] \(Format.bytes(progress.bytesDone)) of \(Format.bytes(progress.bytesTotal))"
                    + (progress.current.map { "  \($0)" } ?? "")
                // On a terminal one line redrawn; in a log one line per object.
                FileHandle.standardError.write(Data((interactive ? "\r\u{1B}[K" + line : line + "\n").utf8))
            }
            if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            try await targetLocation.record(in: settings)
            let seconds = (ContinuousClock.now - started).components.seconds
            print(
                "Migrated to \(targetLocation): \(result.copied) copied and verified, \(result.alreadyThere) already there, "
                    + "\(Format.bytes(result.bytesTotal)) in \(seconds) s.")
            print("Now set STORAGE_BACKEND=\(target.rawValue) and restart the hub.")
        }
    }
}

extension String {
    /// `self` in a column `width` characters wide, aligned left or right.
    fileprivate func aligned(_ width: Int, right: Bool = false) -> String {
        let gap = String(repeating: " ", count: max(0, width - count))
        return right ? gap + self : self + gap
    }
}
