import Foundation
import NIOCore
import HubCore

@testable import HubStorage

/// A real S3-protocol server for the tests: moto's server mode on a free loopback port, with
/// signature checking on (an access key made through its IAM API, then `reset-auth`), and one
/// bucket. Started once per test process; stopped when the process exits.
final class MotoServer: Sendable {
    static let shared: MotoServer? = try? MotoServer()

    let endpoint: URL
    let credentials: AWSCredentials
    let bucket = "streamhub-test"

    private init() throws {
        let port = Int.random(in: 20_000...60_000)
        let process = Process()
        // `shared` is never deinitialised, so the server is tied to this test process another
        // way: a shell that stops it once the process that started it is gone. SIGKILL, because
        // processes started by Foundation's `Process` here inherit a mask that blocks SIGTERM.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "moto_server -H 127.0.0.1 -p \(port) & server=$!; while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; kill -9 $server",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        endpoint = URL(string: "http://127.0.0.1:\(port)")!
        let setup = Process()
        setup.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The same setup as the e2e tests': scripts/moto_s3.py.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        setup.arguments = ["python3", root.appendingPathComponent("scripts/moto_s3.py").path, endpoint.absoluteString, bucket]
        let output = Pipe()
        setup.standardOutput = output
        try setup.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        setup.waitUntilExit()
        let parts = text.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard setup.terminationStatus == 0, parts.count == 2 else {
            process.terminate()
            throw ObjectStoreError.unavailable("moto could not be set up: \(text)")
        }
        credentials = AWSCredentials(accessKey: parts[0], secretKey: parts[1])
    }

    /// The object's bytes as boto3 reads them: the reference client for "standard tools can read
    /// what the hub wrote".
    func readWithBoto3(_ key: String) throws -> Data {
        let script = """
            import boto3, sys
            s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                              aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
            sys.stdout.buffer.write(s3.get_object(Bucket=sys.argv[4], Key=sys.argv[5])["Body"].read())
            """
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        reader.arguments = ["python3", "-c", script, endpoint.absoluteString, credentials.accessKey, credentials.secretKey, bucket, key]
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        guard reader.terminationStatus == 0 else { throw ObjectStoreError.unavailable("boto3 could not read \(key)") }
        return data
    }

    func store(secretKey: String? = nil, bucket: String? = nil) -> S3ObjectStore {
        var credentials = credentials
        if let secretKey { credentials.secretKey = secretKey }
        // moto is one Python process: with the whole suite on both cores it can take longer
        // than the hub's start-up deadline to answer, which is not what these tests check.
        return S3ObjectStore(
            settings: .init(bucket: bucket ?? self.bucket, region: "us-east-1", credentials: credentials, endpoint: endpoint),
            healthCheckTimeout: .seconds(60))
    }
}
