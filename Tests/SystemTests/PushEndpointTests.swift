import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// `/api/push/...` and the msgctl commands for keys and tests.
@Suite(.needsProcesses) struct PushEndpointTests {
    let msgctl = TestEnvironment.binary("msgctl")

    @Test func subscribeChecksEndpointAndKeysThenUpserts() async throws {
        let database = try TestDatabase.create()
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
            ("https://user:pw@push.example.net/x", "user"),
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

    @Test func testPushReportsSentAndFailedAndPrunesGoneSubscriptions() async throws {
        let database = try TestDatabase.create()
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

        let database = try TestDatabase.create()
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
        #expect(unconfigured.status == 69)
        #expect(unconfigured.stderr.contains("SLACK_WEBHOOK_URL"))
        let badKey = try await ProcessRunner.runDetached(
            msgctl, ["push", "test", "--user", "x"],
            environment: ["DATABASE_URL": database.conninfo, "VAPID_PUBLIC_KEY": "abc", "VAPID_PRIVATE_KEY": "def", "VAPID_SUBJECT": "mailto:a@b.c"])
        #expect(badKey.status == 78)
        #expect(badKey.stderr.hasPrefix("msgctl: VAPID_"))
        slack.stop()
    }
}
