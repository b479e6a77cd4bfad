import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// `/api/push/...` and the msgctl commands for keys and tests.
@Suite(.needsProcesses, .processSlot) struct PushEndpointTests {
    let msgctl = TestEnvironment.binary("msgctl")

    @Test func subscribeChecksEndpointAndKeysThenUpserts() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["VAPID_PUBLIC_KEY": nil])
        let token = relay.token(f.alice)
        var body = PushBrowser(endpoint: "https://push.example.net/send/abc").subscribeBody
        func subscribe(_ body: [String: Any]) async throws -> HTTPResult {
            try await relay.request("POST", "/api/push/subscribe", token: token, json: body)
        }
        let created = try await subscribe(body)
        #expect(created.status == 201)
        let id = try #require(created.object.string("id"))
        #expect(created.object.string("created_at") != nil)
        // The same endpoint again (new keys): the same row.
        let again = try await subscribe(PushBrowser(endpoint: "https://push.example.net/send/abc").subscribeBody)
        #expect(again.status == 201)
        #expect(again.object.string("id") == id)

        for (endpoint, problem) in [
            ("http://push.example.net/x", "https"), ("https://10.0.0.7/x", "private"), ("https://127.0.0.1/x", "address"), ("not a url", "URL"),
            ("https://user:pw@push.example.net/x", "user"), ("https://push.example.net:8443/x", "port 443"),
            ("https://push.example.net:25/x", "port 443"),
        ] {
            let refused = try await subscribe(PushBrowser(endpoint: endpoint).subscribeBody)
            #expect(refused.status == 400, "\(endpoint)")
            #expect(refused.error?.contains(problem) == true, "\(endpoint): \(refused.error ?? "-")")
        }
        var keys = (body["subscription"] as! [String: Any])["keys"] as! [String: Any]
        keys["p256dh"] = "AAAA"
        var subscription = body["subscription"] as! [String: Any]
        subscription["keys"] = keys
        body["subscription"] = subscription
        let badKey = try await subscribe(body)
        #expect(badKey.status == 400)
        #expect(badKey.error?.hasPrefix("keys.p256dh") == true)
        #expect(try await subscribe(["subscription": ["endpoint": "https://push.example.net/y"]]).status == 400)

        let delete = try await relay.request("DELETE", "/api/push/subscribe", token: token, json: ["endpoint": "https://push.example.net/send/abc"])
        #expect(delete.status == 204)
        #expect(
            try await relay.request("DELETE", "/api/push/subscribe", token: token, json: ["endpoint": "https://push.example.net/send/abc"]).status
                == 204)
        #expect(try database.connect().scalar("SELECT count(*) FROM push_subscriptions", as: Int.self) == 0)
        // Without VAPID keys there is no key to give out and no test to send.
        #expect(try await relay.request("GET", "/api/push/vapid-public-key", token: token).status == 503)
        #expect(try await relay.request("POST", "/api/push/test", token: token).status == 503)
        #expect(try await relay.request("POST", "/api/push/test").status == 401)
        try await relay.stop()
    }

    /// An endpoint is its first subscriber's: another user who presents it gets a 409 and changes nothing (their
    /// notifications would otherwise replace the owner's, and the owner's would stop).
    @Test func anEndpointOfAnotherUserIsNotTakenOver() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["VAPID_PUBLIC_KEY": nil])
        let endpoint = "https://push.example.net/send/shared"
        let alice = PushBrowser(endpoint: endpoint)
        let created = try await relay.request("POST", "/api/push/subscribe", token: relay.token(f.alice), json: alice.subscribeBody)
        #expect(created.status == 201)
        let taken = try await relay.request(
            "POST", "/api/push/subscribe", token: relay.token(f.bob), json: PushBrowser(endpoint: endpoint).subscribeBody)
        #expect(taken.status == 409)
        #expect(taken.error?.contains("registered to another account") == true, "\(taken.text)")
        // Nor in another spelling of the same URL (host case, the default port, a fragment: the push service's own).
        for variant in [
            "https://PUSH.example.net/send/shared", "https://push.example.net:443/send/shared#x", "https://push.example.net./send/shared",
        ] {
            let spelled = try await relay.request(
                "POST", "/api/push/subscribe", token: relay.token(f.bob), json: PushBrowser(endpoint: variant).subscribeBody)
            #expect(spelled.status == 409, "\(variant): \(spelled.status)")
        }
        #expect(try db.scalar("SELECT user_id FROM push_subscriptions WHERE endpoint = $1", [endpoint], as: UUID.self) == f.alice.id)
        #expect(
            try db.scalar("SELECT p256dh_key FROM push_subscriptions WHERE endpoint = $1", [endpoint], as: String.self)
                == (alice.subscribeBody[path: "subscription.keys.p256dh"] as? String))
        // Bob's DELETE of it does nothing either; Alice's own subscribe again keeps the same row.
        #expect(try await relay.request("DELETE", "/api/push/subscribe", token: relay.token(f.bob), json: ["endpoint": endpoint]).status == 204)
        let again = try await relay.request("POST", "/api/push/subscribe", token: relay.token(f.alice), json: alice.subscribeBody)
        #expect(again.status == 201 && again.object.string("id") == created.object.string("id"))
        // Alice removes it by another spelling too.
        let removed = try await relay.request(
            "DELETE", "/api/push/subscribe", token: relay.token(f.alice), json: ["endpoint": "https://Push.Example.net:443/send/shared"])
        #expect(removed.status == 204)
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions", as: Int.self) == 0)
        try await relay.stop()
    }

    /// A user keeps PUSH_MAX_SUBSCRIPTIONS_PER_USER subscriptions: a new one replaces the least recently used.
    @Test func aNewSubscriptionBeyondTheLimitReplacesTheLeastRecentlyUsed() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["VAPID_PUBLIC_KEY": nil, "PUSH_MAX_SUBSCRIPTIONS_PER_USER": "2"])
        let token = relay.token(f.alice)
        var ids: [String] = []
        for n in 1...2 {
            let created = try await relay.request(
                "POST", "/api/push/subscribe", token: token, json: PushBrowser(endpoint: "https://push.example.net/\(n)").subscribeBody)
            ids.append(try #require(created.object.string("id")))
        }
        // The first delivered lately; the second never did.
        try db.query("UPDATE push_subscriptions SET last_used_at = now() WHERE id = $1::uuid", [ids[0]])
        let third = try await relay.request(
            "POST", "/api/push/subscribe", token: token, json: PushBrowser(endpoint: "https://push.example.net/3").subscribeBody)
        #expect(third.status == 201)
        let left = try db.query("SELECT endpoint FROM push_subscriptions WHERE user_id = $1 ORDER BY endpoint", [f.alice.id])
            .map { try $0.decode(0, as: String.self) }
        #expect(left == ["https://push.example.net/1", "https://push.example.net/3"])
        // Nobody else's subscriptions count.
        #expect(
            try await relay.request(
                "POST", "/api/push/subscribe", token: relay.token(f.bob), json: PushBrowser(endpoint: "https://push.example.net/b").subscribeBody
            ).status == 201)
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions WHERE user_id = $1", [f.alice.id], as: Int.self) == 2)
        try await relay.stop()
    }

    /// Subscribing and test pushes are limited per user and per hour, the same for every relay (the state is in
    /// PostgreSQL): the call beyond gets a 429 with the seconds until the next one may pass; other users are not
    /// affected.
    @Test func subscribeAndTestAreRateLimitedAcrossRelays() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        push.respond { _ in .init(status: 201) }
        let environment = PushEnvironment.variables.merging(["PUSH_SUBSCRIBE_RATE_LIMIT_PER_HOUR": "3", "PUSH_TEST_RATE_LIMIT_PER_HOUR": "2"]) { $1 }
        let first = try await TestRelay(database: database, environment: environment)
        let second = try await TestRelay(database: database, environment: environment)
        let token = first.token(f.alice)
        func subscribe(_ relay: TestRelay, _ n: Int, token: String) async throws -> HTTPResult {
            try await relay.request("POST", "/api/push/subscribe", token: token, json: PushBrowser(endpoint: push.url("/p/\(n)")).subscribeBody)
        }
        for (n, relay) in [first, second, first].enumerated() { #expect(try await subscribe(relay, n, token: token).status == 201) }
        let refused = try await subscribe(second, 9, token: token)
        #expect(refused.status == 429)
        #expect(refused.error == "Rate limit exceeded: at most 3 subscriptions per hour")
        // Three an hour: one every 1200 s once the burst is spent.
        let wait = try #require(refused.headers["retry-after"].flatMap { Int($0) })
        // (Less the time the calls took, which a busy machine stretches.)
        #expect((1100...1200).contains(wait), "\(wait)")
        #expect(try await subscribe(first, 10, token: token).status == 429)
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions WHERE user_id = $1", [f.alice.id], as: Int.self) == 3)
        #expect(try await subscribe(second, 20, token: first.token(f.bob)).status == 201)

        for relay in [second, first] {
            let tested = try await relay.request("POST", "/api/push/test", token: token)
            #expect(tested.status == 200 && tested.object.int("sent") == 3)
        }
        let tooMany = try await second.request("POST", "/api/push/test", token: token)
        #expect(tooMany.status == 429)
        #expect(tooMany.error == "Rate limit exceeded: at most 2 test notifications per hour")
        #expect(tooMany.headers["retry-after"].flatMap { Int($0) }.map { (1790...1800).contains($0) } == true, "\(tooMany.headers)")
        #expect(push.requests.count == 6)
        try await first.stop()
        try await second.stop()
        push.stop()
    }

    /// Test notifications to push services that take their time (a user may register ten endpoints that never answer)
    /// wait on threads of their own: the relay's local files (here an upload) are not held up behind them.
    @Test func slowTestNotificationsHoldUpNoFiles() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let push = try RecordingHTTPServer()
        push.respond { _ in .init(status: 201, delay: .seconds(6)) }
        let (relay, _) = try await AttachmentFlowTests.relay(
            database, PushEnvironment.variables.merging(["PUSH_TEST_RATE_LIMIT_PER_HOUR": "100"]) { $1 })
        let bob = relay.token(f.bob)
        let subscribe = PushBrowser(endpoint: push.url("/slow")).subscribeBody
        #expect(try await relay.request("POST", "/api/push/subscribe", token: bob, json: subscribe).status == 201)
        let tests = (0..<4).map { _ in Task { try await relay.request("POST", "/api/push/test", token: bob) } }
        _ = try await push.waitForRequests(count: 2)
        let started = ContinuousClock.now
        _ = try await AttachmentFlowTests.upload(relay, relay.token(f.alice), "notes.txt", "text/plain", Data("hello\n".utf8))
        #expect(ContinuousClock.now - started < .seconds(3))
        for test in tests { #expect(try await test.value.status == 200) }
        try await relay.stop()
    }

    @Test func testPushReportsSentAndFailedAndPrunesGoneSubscriptions() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        push.respond { request in
            switch request.path {
            case "/ok": .init(status: 201)
            case "/gone": .init(status: 410)
            default: .init(status: 500)
            }
        }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        let token = relay.token(f.bob)
        for path in ["/ok", "/gone", "/broken"] {
            #expect(
                try await relay.request("POST", "/api/push/subscribe", token: token, json: PushBrowser(endpoint: push.url(path)).subscribeBody).status
                    == 201)
        }
        let key = try await relay.request("GET", "/api/push/vapid-public-key", token: token)
        #expect(key.object.string("public_key") == PushEnvironment.keys.publicKeyBase64URL)
        let tested = try await relay.request("POST", "/api/push/test", token: token)
        #expect(tested.status == 200)
        #expect(tested.object.int("sent") == 1)
        #expect(tested.object.int("failed") == 2)
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions", as: Int.self) == 2)
        // No outbox job: a test is sent at once.
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)

        // msgctl push test: what was sent, what failed and why; 75 when anything failed.
        let env = PushEnvironment.variables.merging(["DATABASE_URL": database.conninfo]) { $1 }
        let cli = try await ProcessRunner.runDetached(msgctl, ["push", "test", "--user", "bob"], environment: env)
        #expect(cli.status == 75, "\(cli.stderr)")
        #expect(cli.stdout.contains("sent"))
        #expect(cli.stdout.contains("failed: push service answered 500"))
        #expect(cli.stdout.contains("1 sent, 1 failed"))
        let json = try await ProcessRunner.runDetached(msgctl, ["push", "test", "--user", "bob", "--json"], environment: env)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(Set(rows.compactMap { $0["sent"] as? Bool }) == [true, false])
        let unknown = try await ProcessRunner.runDetached(msgctl, ["push", "test", "--user", "nobody"], environment: env)
        #expect(unknown.status == 67)
        #expect(unknown.stderr.hasPrefix("msgctl: no user"))
        try await relay.stop()
        push.stop()
    }

    @Test func vapidGenerateAndSlackTest() async throws {
        let generated = try await ProcessRunner.runDetached(msgctl, ["vapid", "generate"])
        #expect(generated.status == 0)
        let lines = generated.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("VAPID_PUBLIC_KEY="))
        #expect(lines[1].hasPrefix("VAPID_PRIVATE_KEY="))
        let keys = try VAPIDKeys(publicKey: String(lines[0].dropFirst(17)), privateKey: String(lines[1].dropFirst(18)))
        #expect(Base64URL.decode(keys.publicKeyBase64URL)?.count == 65)
        let json = try await ProcessRunner.runDetached(msgctl, ["vapid", "generate", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        _ = try VAPIDKeys(publicKey: try #require(object["public_key"] as? String), privateKey: try #require(object["private_key"] as? String))

        let database = try await TestDatabase.create()
        let slack = try RecordingHTTPServer()
        slack.respond { _ in .init(status: 200, text: "ok") }
        let env: [String: String?] = [
            "DATABASE_URL": database.conninfo, "SLACK_WEBHOOK_URL": slack.url("/hook"), "ADMIN_URL_BASE": "https://a.example",
        ]
        let sent = try await ProcessRunner.runDetached(msgctl, ["slack", "test"], environment: env)
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(slack.requests.count == 1)
        #expect(slack.requests[0].bodyText.contains("https://a.example/admin/messages"))
        let unconfigured = try await ProcessRunner.runDetached(
            msgctl, ["slack", "test"], environment: ["DATABASE_URL": database.conninfo, "SLACK_WEBHOOK_URL": nil])
        #expect(unconfigured.status == 78)
        #expect(unconfigured.stderr.contains("SLACK_WEBHOOK_URL"))
        let noVAPID = try await ProcessRunner.runDetached(
            msgctl, ["push", "test", "--user", "x"],
            environment: ["DATABASE_URL": database.conninfo, "VAPID_PUBLIC_KEY": nil, "VAPID_PRIVATE_KEY": nil, "VAPID_SUBJECT": nil])
        #expect(noVAPID.status == 78 && noVAPID.stderr.contains("VAPID_PUBLIC_KEY"), "\(noVAPID.stderr)")
        let badKey = try await ProcessRunner.runDetached(
            msgctl, ["push", "test", "--user", "x"],
            environment: ["DATABASE_URL": database.conninfo, "VAPID_PUBLIC_KEY": "abc", "VAPID_PRIVATE_KEY": "def", "VAPID_SUBJECT": "mailto:a@b.c"])
        #expect(badKey.status == 78)
        #expect(badKey.stderr.hasPrefix("msgctl: VAPID_"))
        slack.stop()
    }
}
