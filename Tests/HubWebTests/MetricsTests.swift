import Foundation
import HTTPTypes
import HubCore
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

/// `GET /metrics`: who may read it, and that what the hub did shows up in it under bounded
/// labels. (The e2e test parses it with Prometheus' own parser.)
@Suite struct MetricsTests {
    static let token = "scraper-token-0123456789"

    @Test func aScraperReadsWithMetricsTokenAndNothingElse() async throws {
        let hub = try TestHub(environment: ["METRICS_TOKEN": Self.token])
        try await hub.test { client in
            let scraper: HTTPFields = [.authorization: "Bearer \(Self.token)"]
            let scraped = try await client.anonymous.execute(uri: "/metrics", method: .get, headers: scraper)
            #expect(scraped.status == .ok)
            #expect(scraped.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            // The token opens /metrics alone: anywhere else it is an unknown API token.
            let elsewhere = try await client.anonymous.execute(uri: "/api/v1/videos", method: .get, headers: scraper)
            #expect(elsewhere.status == .unauthorized)
            #expect(elsewhere.errorCode == "invalid_token")
            let wrong = try await client.anonymous.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.token)x"])
            #expect(wrong.status == .unauthorized)
            let anonymous = try await client.anonymous.execute(uri: "/metrics", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.errorCode == "sign_in_required")
            let member = try await client.execute(uri: "/metrics", method: .get)
            #expect(member.status == .forbidden)
            #expect(member.errorCode == "admin_only")
            #expect(try await client.admin.execute(uri: "/metrics", method: .get).status == .ok)
        }
    }

    @Test func aShortMetricsTokenIsRefusedAtStart() {
        #expect(throws: ConfigurationError.self) { try TestHub(environment: ["METRICS_TOKEN": "short"]) }
    }

    @Test func uploadsStreamsAndTheStoreAreCountedUnderRoutePatterns() async throws {
        let hub = try TestHub()
        let bytes = fakeMP4(size: 300_000)
        try await hub.test { client in
            let upload = try await TusRequests(client: client).upload(bytes, chunk: 100_000)
            let id = try #require(upload.headers[.videoID])
            try await hub.processed(id)
            let stream = try await client.execute(uri: "/api/v1/videos/\(id)/stream", method: .get, headers: [.range: "bytes=0-999"])
            #expect(stream.status == .partialContent)
            _ = try await client.execute(uri: "/api/v1/videos/not-a-video-id/stream", method: .get)
            _ = try await client.execute(uri: "/no/such/path/\(UUID())", method: .get)

            let text = String(buffer: try await client.admin.execute(uri: "/metrics", method: .get).body)
            let samples = Self.samples(text)
            #expect(samples[#"streamhub_upload_received_bytes_total{protocol="tus"}"#] == 300_000)
            #expect(samples["streamhub_uploads_completed_total"] == 1)
            #expect(samples[#"streamhub_stream_bytes_total{source="store"}"#] == 1_000)
            #expect(samples[#"streamhub_stream_first_byte_seconds_count{source="store"}"#] == 1)
            #expect(samples[#"streamhub_storage_operation_duration_seconds_count{backend="local",operation="read"}"#] ?? 0 >= 1)
            #expect(samples[#"streamhub_processing_job_duration_seconds_count{kind="prepare",outcome="done"}"#] == 1)
            #expect(samples["streamhub_video_time_to_ready_seconds_count"] == 1)
            #expect(samples["streamhub_processing_queue_depth"] == 0)
            #expect(samples["streamhub_p2p_enabled"] == 0)
            // SQLite's statements, by verb: the upload wrote, the listing read, each write committed.
            for verb in ["select", "insert", "update", "commit"] {
                let count = samples[#"streamhub_database_query_duration_seconds_count{backend="sqlite",operation="\#(verb)"}"#] ?? 0
                #expect(count >= 1, "\(verb)")
            }
            // Route patterns, never ids: the ranged GET and the bad id share one series.
            let streamed = samples.filter { $0.key.hasPrefix("streamhub_http_request_duration_seconds_count{") && $0.key.contains("/stream") }
            #expect(streamed.keys.allSatisfy { !$0.contains(id) && $0.contains("{id}") }, "\(streamed)")
            #expect(samples[#"streamhub_http_request_duration_seconds_count{route="/api/v1/videos/{id}/stream",method="GET",status="206"}"#] == 1)
            #expect(samples[#"streamhub_http_request_duration_seconds_count{route="/api/v1/videos/{id}/stream",method="GET",status="404"}"#] == 1)
            #expect(samples[#"streamhub_http_request_duration_seconds_count{route="unmatched",method="GET",status="404"}"#] == 1)
        }
    }

    @Test(arguments: [
        ("SELECT * FROM video", DatabaseStatement.select), ("  insert INTO note VALUES (?)", .insert),
        ("UPDATE upload SET offset = ?", .update), ("DELETE FROM token", .delete), ("COMMIT TRANSACTION", .commit),
        ("BEGIN IMMEDIATE", .other), ("WITH recent AS (SELECT 1) SELECT * FROM recent", .other), ("", .other), ("selective", .other),
    ])
    func statementsAreLabelledByTheirVerb(sql: String, statement: DatabaseStatement) {
        #expect(DatabaseStatement(sql: sql) == statement)
    }

    /// `name{labels} value` lines, by `name{labels}`.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}
