import Foundation
import MsgLib
import TestSupport
import Testing

@testable import RelayKit

@Suite(.needsProcesses, .processSlot) struct RelayOperationsTests {
    @Test func metricsCountRequestsByRouteAndShowThePool() async throws {
        let database = try await TestDatabase.create()
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
        let database = try await TestDatabase.create()
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
        // A user's requests under way are limited on every authenticated route and the local store's URLs: each lists
        // that 429.
        var without429: [String] = []
        for (path, operations) in paths where AuthenticationMiddleware.guards(path) || path.hasPrefix("/attachments/local/") {
            for (method, operation) in operations where (operation as? [String: Any])?["responses"] != nil {
                let responses = (operation as? [String: Any])?["responses"] as? [String: Any]
                if responses?["429"] == nil { without429.append("\(method.uppercased()) \(path)") }
            }
        }
        #expect(without429.isEmpty, "routes without their 429: \(without429.sorted())")
        #expect(router.routes.count >= 15)
        // The committed file is the one served.
        let committed = try Data(contentsOf: TestEnvironment.packageRoot.appendingPathComponent("Sources/RelayKit/Application/openapi.json"))
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
        // Within a second (the probe answers from a check at most that old).
        try await waitFor("health to report the database gone", timeout: 5) { (try await relay.request("GET", "/healthz")).status == 503 }
        let down = try await relay.request("GET", "/healthz")
        #expect(down.status == 503 && down.error == "Database unavailable")
        try cluster.start()
        try await waitFor("health to recover") { (try await relay.request("GET", "/healthz")).status == 200 }
        try await relay.stop()
    }

    /// `/readyz` is 200 while the relay's database takes writes, and 503 on a database that does not (here one whose
    /// sessions are read-only, as on a standby), while `/healthz` stays 200 there.
    @Test func readinessFollowsWhetherTheDatabaseTakesWrites() async throws {
        let relay = try await TestRelay(database: try await TestDatabase.create())
        let ready = try await relay.request("GET", "/readyz")
        #expect(ready.status == 200 && ready.object["status"] as? String == "ok", "\(ready.status) \(ready.text)")

        let readOnly = try await TestDatabase.create()
        let admin = try readOnly.connect()
        try admin.execute("ALTER DATABASE \(readOnly.name) SET default_transaction_read_only = on")
        admin.close()
        let standbyLike = try await TestRelay(database: readOnly)
        let notReady = try await standbyLike.request("GET", "/readyz")
        #expect(notReady.status == 503 && notReady.error == "Database is read-only (a standby or a read-only session)")
        #expect((try await standbyLike.request("GET", "/healthz")).status == 200)
        try await standbyLike.stop()
        try await relay.stop()
    }
}

@Suite(.needsProcesses, .processSlot) struct RelayLifecycleTests {
    @Test func sigtermFinishesInFlightRequestsThenExits() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        // Hold a lock so a request stays in flight while the relay is told to stop.
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE")
        let token = relay.token(f.alice)
        let inFlight = Task { try await relay.request("GET", "/api/conversations", token: token) }
        let watcher = try database.connect()
        // The request itself (not the relay's start-up catch-up, which may also touch the table) waits on the lock, in this
        // test's database: tests running beside it list conversations in theirs.
        try await waitFor("the request to wait on the lock", timeout: 60) {
            try watcher.scalar(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM conversations c%'
                """, as: Int.self) > 0
        }
        relay.process.signal(SIGTERM)
        try await Task.sleep(for: .milliseconds(300))
        #expect(relay.process.isRunning)
        try blocker.execute("COMMIT")
        let response = try await inFlight.value
        #expect(response.status == 200)
        try await waitFor("msgrelay to exit") { !relay.process.isRunning }
        #expect(relay.process.exitStatus == 0)
    }
}

@Suite(.needsProcesses, .processSlot) struct SchemathesisTests {
    /// schemathesis generates requests from the OpenAPI document: no 5xx, and every response matches the schema.
    @Test(arguments: ["admin", "alice"])
    func responsesConformToTheDocument(as who: String) async throws {
        let st = try #require(TestEnvironment.environment["MSGTEST_SCHEMATHESIS"], "scripts/test.sh provides schemathesis")
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "an invoice question")
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "an answer")
        let relay = try await TestRelay(
            database: database,
            environment: [
                "MESSAGE_RATE_LIMIT_PER_MINUTE": "0", "MESSAGE_RATE_LIMIT_PER_HOUR": "0", "MESSAGE_RATE_LIMIT_PER_DAY": "0",
                "VAPID_PUBLIC_KEY": PushEnvironment.keys.publicKeyBase64URL, "VAPID_PRIVATE_KEY": PushEnvironment.keys.privateKeyBase64URL,
                "VAPID_SUBJECT": "mailto:ops@example.org",
                "ATTACHMENT_STORE": "local:" + (try TestEnvironment.scratchFolder("attachments")).path,
            ])
        let token = relay.token(who == "admin" ? f.admin : f.alice)
        let result = try await ProcessRunner.runDetached(
            st,
            [
                "run", relay.baseURL.absoluteString + "/api/openapi.json", "--url", relay.baseURL.absoluteString,
                "-H", "Authorization: Bearer \(token)",
                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--max-examples", "25", "--workers", "1", "--exclude-path", "/ws/messages",
            ], timeout: 300)
        #expect(result.status == 0, "schemathesis failed:\n\(result.stdout.suffix(4000))")
        #expect(result.stdout.contains("passed"))
        try await relay.stop()
    }
}
