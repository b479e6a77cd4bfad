import Foundation
import MsgLib
import Testing

@Suite struct RelayOperationsTests {
    @Test func metricsCountRequestsByRouteAndShowThePool() async throws {
        let database = try TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        _ = try await relay.request("GET", "/api/conversations", token: relay.token(f.alice))
        _ = try await relay.request("GET", "/api/conversations/\(UUID())", token: relay.token(f.alice))
        _ = try await relay.request("GET", "/healthz")
        let metrics = try await relay.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        #expect(metrics.text.contains(#"msgrelay_http_requests_total{route="/api/conversations",method="GET",status="200"} 1"#))
        #expect(metrics.text.contains(#"msgrelay_http_requests_total{route="/api/conversations/{id}",method="GET",status="404"} 1"#))
        #expect(metrics.text.contains("msgrelay_http_request_duration_seconds_bucket"))
        #expect(metrics.text.contains("msgrelay_db_pool_size 8.0"))
        #expect(metrics.text.contains("msgrelay_db_pool_open"))
        // No token, no message content, no raw path in the log.
        let token = relay.token(f.alice)
        _ = try await relay.request("POST", "/api/messages", token: token, json: ["content": "secret words here"])
        try await relay.stop()
        #expect(!relay.process.text.contains(token))
        #expect(!relay.process.text.contains("secret words here"))
        #expect(relay.process.text.contains("route=/api/messages"))
        #expect(relay.process.exitStatus == 0)
    }

    @Test func openAPIDocumentIsServedAndCoversEveryRoute() async throws {
        let database = try TestDatabase.create()
        let relay = try await TestRelay(database: database)
        let served = try await relay.request("GET", "/api/openapi.json")
        #expect(served.status == 200)
        let document = served.object
        #expect(document.string("openapi")?.hasPrefix("3.1") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        // Every route the router registers is documented, with its method.
        let router = buildRelayRouter(
            service: MessagingService(pool: database.pool(size: 1)), metrics: RelayMetrics(pool: database.pool(size: 1)))
        var missing: [String] = []
        for route in router.routes {
            let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            let documented = "/" + path.joined(separator: "/")
            if paths[documented]?[route.method.rawValue.lowercased()] == nil { missing.append("\(route.method) \(documented)") }
        }
        #expect(missing.isEmpty, "undocumented routes: \(missing)")
        #expect(router.routes.count >= 15)
        // The committed file is the one served.
        let committed = try Data(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("Sources/MsgLib/Relay/openapi.json"))
        #expect(served.body == committed)
        try await relay.stop()
    }

    @Test func healthReportsTheDatabase() async throws {
        let cluster = try PrivateCluster.start()
        defer { try? cluster.stop() }
        let admin = PostgresConnection(conninfo: cluster.conninfo)
        try Migrator().migrate(admin)
        admin.close()
        let relay = try await TestRelay(database: TestDatabase(name: "postgres", conninfo: cluster.conninfo))
        #expect((try await relay.request("GET", "/healthz")).status == 200)
        try cluster.stop()
        let down = try await relay.request("GET", "/healthz")
        #expect(down.status == 503 && down.error == "Database unavailable")
        try cluster.start()
        try await waitFor("health to recover") { (try await relay.request("GET", "/healthz")).status == 200 }
        try await relay.stop()
    }
}
