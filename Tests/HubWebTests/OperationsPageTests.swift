import CoreMetrics
import Foundation
import HTTPTypes
import HubCore
import HummingbirdTesting
import NIOCore
import Testing

@testable import HubWeb

/// `/admin/operations` and what it is drawn from: the figures' last hour and day kept in
/// memory, each dependency asked, the latest 5xx answers with their request ids.
@Suite struct OperationsPageTests {
    @Test func theHistoryTurnsTotalsIntoEachIntervalsRatesAndMeans() {
        let history = OperationsHistory()
        let metrics = HubMetrics(factory: history)
        let start = Date(timeIntervalSince1970: 1_796_256_000)
        history.sample(at: start)
        for status in ["200", "200", "503"] {
            metrics.durations("streamhub_http_request_duration_seconds", [("route", "/x"), ("method", "GET"), ("status", status)])
                .recordNanoseconds(30_000_000)
        }
        metrics.counter("streamhub_stream_bytes_total", [("source", "store")]).increment(by: 10 << 20)
        metrics.gauge("streamhub_peers", [("state", "alive")]).set(3)
        history.sample(at: start.addingTimeInterval(10))
        let point = history.points(lastDay: false).last
        #expect(point?.values[.requestsPerSecond] == 0.3)
        #expect(point?.values[.serverErrorsPerSecond] == 0.1)
        #expect(point?.values[.requestMilliseconds] == 30)
        #expect(point?.values[.streamMiBPerSecond] == 1)
        #expect(point?.values[.peersAlive] == 3)
        // Nothing measured: no mean, rather than a zero that would read as fast.
        #expect(point?.values[.storageMilliseconds] == nil)
        // The next interval starts from the last totals.
        history.sample(at: start.addingTimeInterval(20))
        #expect(history.points(lastDay: false).last?.values[.requestsPerSecond] == 0)
        // The day's series takes a point every five minutes.
        #expect(history.points(lastDay: true).isEmpty)
        history.sample(at: start.addingTimeInterval(300))
        #expect(history.points(lastDay: true).last?.values[.requestsPerSecond] == 0.01)
    }

    @Test func theHourKeepsItsLast360Points() {
        let history = OperationsHistory()
        let start = Date(timeIntervalSince1970: 0)
        for step in 0...400 { history.sample(at: start.addingTimeInterval(Double(step) * 10)) }
        let points = history.points(lastDay: false)
        #expect(points.count == 360)
        #expect(points.last?.at == start.addingTimeInterval(4_000))
    }

    @Test func anAdminSeesChartsDependenciesAndTheLatestErrors() async throws {
        let store = SwitchableStore()
        let hub = try TestHub { dependencies in
            store.wrap(dependencies.store)
            dependencies.store = store
        }
        try await hub.test { client in
            let upload = try await TusRequests(client: client).upload(fakeMP4(size: 50_000))
            let id = try #require(upload.headers[.videoID])
            _ = try await hub.processed(id)
            hub.services.operations.history.sample(at: Date())
            store.fail()
            let failed = try await client.execute(uri: "/api/v1/videos/\(id)/stream", method: .get)
            #expect(failed.status == .serviceUnavailable)
            let requestID = try #require(failed.headers[HTTPField.Name("X-Request-Id")!])
            hub.services.operations.history.sample(at: Date().addingTimeInterval(10))

            let page = try await client.admin.execute(uri: "/admin/operations", method: .get)
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("<h1>Operations</h1>"))
            #expect(html.components(separatedBy: "<svg class=\"chart\"").count - 1 >= 8)
            #expect(html.contains(#"<tr data-dependency="database" class="state-ok">"#))
            #expect(html.contains(#"<tr data-dependency="store" class="state-failing">"#))
            #expect(html.contains(#"<tr data-dependency="peers" class="state-off">"#))
            #expect(html.contains("<code>\(requestID)</code>"))
            #expect(html.contains("GET /api/v1/videos/\(id)/stream"))
            #expect(html.contains("the test switched the store off"))
            let day = try await client.admin.execute(uri: "/admin/operations?range=day", method: .get)
            #expect(String(buffer: day.body).contains("a point every 5 minutes"))

            let member = try await client.execute(uri: "/admin/operations", method: .get)
            #expect(member.status == .forbidden)
            store.recover()
        }
    }
}
