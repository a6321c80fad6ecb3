import AsyncHTTPClient
import Foundation
import HubCore
import HubStorage
import HubSystem
import NIOCore

/// The Swift half of `scripts/bench/storage.py`: drives the hub's own S3 client and disk cache
/// and prints one JSON line per figure; the script runs boto3 on the same server and prints the
/// two side by side. Timings here are figures for a table, never pass/fail.
///
///     storage-bench s3 ENDPOINT BUCKET ACCESS_KEY SECRET_KEY FILE RANGES
///     storage-bench cache ENDPOINT BUCKET ACCESS_KEY SECRET_KEY WORKDIR READS
@main
struct StorageBench {
    static func main() async throws {
        MemoryTuning.apply()  // as `streamhub serve` does, so the memory figures are the hub's
        let arguments = CommandLine.arguments
        guard arguments.count == 8, let count = Int(arguments[7]), let endpoint = URL(string: arguments[2]) else {
            FileHandle.standardError.write(Data("usage: storage-bench s3|cache ENDPOINT BUCKET ACCESS_KEY SECRET_KEY FILE|WORKDIR COUNT\n".utf8))
            exit(64)
        }
        let http = StorageFactory.makeHTTPClient()
        let store = S3ObjectStore(
            settings: .init(
                bucket: arguments[3], region: "us-east-1", credentials: .init(accessKey: arguments[4], secretKey: arguments[5]),
                endpoint: endpoint),
            http: http)
        do {
            switch arguments[1] {
            case "s3": try await s3(store, file: arguments[6], ranges: count)
            case "cache": try await cache(store, workdir: arguments[6], reads: count)
            default: FileHandle.standardError.write(Data("unknown benchmark \(arguments[1])\n".utf8))
            }
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// Put of a file through the hub's upload path (multipart past 64 MiB), a whole streamed get,
    /// and random 1 MiB ranges.
    static func s3(_ store: S3ObjectStore, file: String, ranges: Int) async throws {
        let key = try ObjectKey("bench/\(UUID().uuidString)")
        // The put consumes its file, as it does a staged upload; a hard link leaves the original.
        let link = file + ".put-\(UUID().uuidString)"
        guard Foundation.link(file, link) == 0 else { throw PosixError(operation: "link", path: file) }
        ProcessMemory.resetPeak()
        var started = ContinuousClock.now
        let info = try await store.put(key, movingFileAt: link, contentType: "video/mp4")
        report(["op": "put", "seconds": seconds(since: started), "bytes": info.size, "peakRSSBytes": ProcessMemory.peakResidentBytes()])

        started = ContinuousClock.now
        var received: Int64 = 0
        for try await chunk in try await store.read(key, range: nil) { received += Int64(chunk.readableBytes) }
        report(["op": "get", "seconds": seconds(since: started), "bytes": received, "peakRSSBytes": ProcessMemory.peakResidentBytes()])

        var latencies: [Double] = []
        var generator = SplitMix64(seed: 42)
        for _ in 0..<ranges {
            let start = Int64(generator.next() % UInt64(info.size - (1 << 20)))
            let began = ContinuousClock.now
            for try await _ in try await store.read(key, range: start...(start + (1 << 20) - 1)) {}
            latencies.append(seconds(since: began) * 1000)
        }
        report(["op": "range", "p50ms": percentile(latencies, 0.5), "p95ms": percentile(latencies, 0.95), "count": ranges])
        try await store.delete(key)
    }

    /// A repeated-range workload: 64 ranges of 256 KiB over four 16 MiB objects, read `reads`
    /// times in a random order, through the cache in front of S3 and from the local backend.
    static func cache(_ origin: S3ObjectStore, workdir: String, reads: Int) async throws {
        let local = LocalObjectStore(baseDirectory: workdir + "/local")
        let cached = CachedObjectStore(origin: origin, directory: workdir + "/cache", maxBytes: 256 << 20)
        var generator = SplitMix64(seed: 7)
        var keys: [ObjectKey] = []
        for index in 0..<4 {
            let key = try ObjectKey("bench/cache-\(UUID().uuidString)-\(index)")
            let bytes = ByteBuffer(bytes: (0..<(16 << 20)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            _ = try await origin.put(key, from: [bytes].async, size: Int64(bytes.readableBytes), contentType: nil)
            _ = try await local.put(key, from: [bytes].async, size: Int64(bytes.readableBytes), contentType: nil)
            keys.append(key)
        }
        let ranges = (0..<64).map { _ in
            (keys[Int(generator.next() % 4)], Int64(generator.next() % UInt64((16 << 20) - (256 << 10))))
        }
        let order = (0..<reads).map { _ in ranges[Int(generator.next() % UInt64(ranges.count))] }
        func run(_ store: any ObjectStore) async throws -> [Double] {
            var latencies: [Double] = []
            for (key, start) in order {
                let began = ContinuousClock.now
                for try await _ in try await store.read(key, range: start...(start + (256 << 10) - 1)) {}
                latencies.append(seconds(since: began) * 1000)
            }
            return latencies
        }
        // Cold pass first (the misses), then the same workload again, all hits, against local.
        let cold = try await run(cached)
        let statistics = await cached.statistics
        let warm = try await run(cached)
        _ = try await run(local)  // page cache warmed, as the cache's files are by now
        let direct = try await run(local)
        report([
            "op": "cache", "hitRatio": statistics.hitRatio, "hits": statistics.hits, "misses": statistics.misses,
            "coldP50ms": percentile(cold, 0.5), "hitP50ms": percentile(warm, 0.5), "hitP95ms": percentile(warm, 0.95),
            "localP50ms": percentile(direct, 0.5), "localP95ms": percentile(direct, 0.95),
        ])
        for key in keys { try await origin.delete(key) }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    static func report(_ fields: [String: any Sendable]) {
        let object = fields.mapValues { value -> Any in value }
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// One buffer as an async sequence, for the puts above.
extension Array where Element == ByteBuffer {
    var async: BufferSequence { BufferSequence(buffers: self) }
}

struct BufferSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffers: [ByteBuffer]
    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        mutating func next() async -> ByteBuffer? { remaining.popFirst() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: buffers[...]) }
}
