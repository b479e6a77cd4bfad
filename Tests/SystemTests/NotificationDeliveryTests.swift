import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MsgLib

/// Web Push and Slack from the outbox, end to end: real relays, real PostgreSQL, and loopback HTTP servers
/// standing in for the push service and Slack.
@Suite(.needsProcesses, .processSlot) struct NotificationDeliveryTests {
    @Test func messagesArePushedBothWaysWithVAPIDAndEncryption() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        let log = ResponseLog()
        push.respond { log.answer($0, 201) }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        let aliceBrowser = PushBrowser(endpoint: push.url("/push/alice"))
        let adminBrowser = PushBrowser(endpoint: push.url("/push/admin"))
        #expect(try await relay.request("POST", "/api/push/subscribe", token: relay.token(f.alice), json: aliceBrowser.subscribeBody).status == 201)
        #expect(try await relay.request("POST", "/api/push/subscribe", token: relay.token(f.admin), json: adminBrowser.subscribeBody).status == 201)
        // Alice has a live socket too: the push still goes (the service worker decides whether to show it).
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")

        let long = String(repeating: "🙂", count: 150)
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": long])
        #expect(sent.status == 201)
        let messageId = try #require(sent.object.string("id"))
        let conversationId = try #require(sent.object.string("conversation_id"))
        let toAdmin = try await push.waitForRequests(count: 1)[0]
        #expect(toAdmin.path == "/push/admin")
        #expect(toAdmin.header("Content-Encoding") == "aes128gcm")
        // PUSH_TTL_SECONDS, less the time the notification waited (a few milliseconds, rounded up).
        #expect((86_390...86_400).contains(Int(toAdmin.header("TTL") ?? "") ?? 0), "TTL \(toAdmin.header("TTL") ?? "none")")
        #expect(toAdmin.header("Urgency") == "normal")
        // A second copy (an answer come too late, the push sent again) replaces the first at the push service.
        let id = try #require(UUID(uuidString: messageId))
        #expect(toAdmin.header("Topic") == withUnsafeBytes(of: id.uuid) { Base64URL.encode(Array($0)) })
        #expect(toAdmin.header("Topic")?.count == 22)
        let authorization = try #require(toAdmin.header("Authorization"))
        #expect(authorization.hasPrefix("vapid t="))
        #expect(authorization.hasSuffix(", k=\(PushEnvironment.keys.publicKeyBase64URL)"))
        // The token is signed by our key for the push service's origin.
        let token = String(authorization.dropFirst("vapid t=".count).prefix { $0 != "," })
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let claims = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(parts[1]) ?? [])) as? [String: Any]
        #expect(claims?["aud"] as? String == "http://127.0.0.1:\(push.port)")
        #expect(claims?["sub"] as? String == "mailto:ops@example.org")
        let signed = Array("\(parts[0]).\(parts[1])".utf8)
        #expect(PushEnvironment.keys.privateKey.publicKey.isValidES256Signature(Base64URL.decode(parts[2]) ?? [], for: signed))
        let payload = try adminBrowser.payload(of: toAdmin)
        #expect(payload["title"] as? String == "New message")
        #expect(payload["body"] as? String == String(repeating: "🙂", count: 100))
        #expect((payload["data"] as? [String: Any])?["message_id"] as? String == messageId)
        #expect((payload["data"] as? [String: Any])?["conversation_id"] as? String == conversationId)

        let reply = try await relay.request(
            "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversationId, "content": "Hello Alice"])
        #expect(reply.status == 201)
        let toAlice = try await push.waitForRequests(count: 2)[1]
        #expect(toAlice.path == "/push/alice")
        #expect(try aliceBrowser.payload(of: toAlice)["body"] as? String == "Hello Alice")
        try await db.waitForEmptyOutbox()
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions WHERE last_used_at IS NOT NULL", as: Int.self) == 2)
        #expect(log.accepted.count == 2)
        try await relay.stop()
        push.stop()
    }

    @Test func goneSubscriptionsAreDeletedAndRetriesHonourRetryAfter() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        let log = ResponseLog()
        push.respond { request in
            if request.path == "/push/old" { return log.answer(request, 410) }
            switch log.all.filter({ $0.path == request.path }).count {
            case 0: return log.answer(request, 429, headers: [("Retry-After", "1")])
            case 1: return log.answer(request, 500)
            default: return log.answer(request, 201)
            }
        }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        for endpoint in ["/push/old", "/push/current"] {
            let status = try await relay.request(
                "POST", "/api/push/subscribe", token: relay.token(f.admin), json: PushBrowser(endpoint: push.url(endpoint)).subscribeBody
            ).status
            #expect(status == 201)
        }
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Hi"]).status == 201)
        try await db.waitForEmptyOutbox()
        #expect(try db.scalar("SELECT count(*) FROM push_subscriptions", as: Int.self) == 1)
        #expect(try db.scalar("SELECT endpoint FROM push_subscriptions", as: String.self) == push.url("/push/current"))
        let current = log.all.filter { $0.path == "/push/current" }
        #expect(current.map(\.status) == [429, 500, 201])
        // Retry-After: 1 was honoured; the 500 was retried after the (short, test-sized) backoff.
        #expect(current[1].time.timeIntervalSince(current[0].time) >= 0.95)
        #expect(log.all.filter { $0.path == "/push/old" }.count == 1)
        try await relay.stop()
        push.stop()
    }

    @Test func slackDownForAWhileThenBackGetsEscapedNoticeOnce() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try RecordingHTTPServer()
        let log = ResponseLog()
        slack.respond { request in log.answer(request, log.all.count < 3 ? 503 : 200) }
        let relay = try await TestRelay(
            database: database,
            environment: [
                "SLACK_WEBHOOK_URL": slack.url("/hook"), "ADMIN_URL_BASE": "https://admin.example.org/", "OUTBOX_RETRY_BASE_SECONDS": "0.2",
            ])
        let text = "<!channel> urgent & <https://evil.example|click here>"
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": text])
        #expect(sent.status == 201)
        let conversationId = try #require(sent.object.string("conversation_id"))
        // The admin's reply is not announced on Slack.
        #expect(
            try await relay.request(
                "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversationId, "content": "On it"]
            ).status == 201)
        try await db.waitForEmptyOutbox()
        #expect(log.all.map(\.status) == [503, 503, 503, 200])
        // Each attempt on a connection of its own: libcurl never sends a notice again by itself.
        #expect(Set(slack.requests.map(\.connection)).count == slack.requests.count)
        let notice = try #require(try JSONSerialization.jsonObject(with: Data(log.accepted[0].body)) as? [String: Any])
        #expect(notice.string("text") == "New message from Alice")
        #expect(notice.string("blocks.0.text.type") == "mrkdwn")
        #expect(notice.string("blocks.0.text.text") == "*Alice*\n&lt;!channel&gt; urgent &amp; &lt;https://evil.example|click here&gt;")
        #expect(notice.string("blocks.1.elements.0.url") == "https://admin.example.org/admin/messages/\(conversationId)")
        #expect(notice.string("blocks.1.elements.0.text.text") == "View Conversation")
        #expect(slack.requests[0].header("Content-Type")?.hasPrefix("application/json") == true)
        try await relay.stop()
        slack.stop()
    }

    /// An admin demoted while a push of a user's message waits to be tried again gets it no more.
    @Test func aDemotedAdminGetsNoPushLeftFromBefore() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        let log = ResponseLog()
        push.respond { request in log.all.isEmpty ? log.answer(request, 503, headers: [("Retry-After", "3")]) : log.answer(request, 201) }
        var environment = PushEnvironment.variables
        environment["OUTBOX_RETRY_BASE_SECONDS"] = "0.2"
        let relay = try await TestRelay(database: database, environment: environment)
        let browser = PushBrowser(endpoint: push.url("/push/admin"))
        #expect(try await relay.request("POST", "/api/push/subscribe", token: relay.token(f.admin), json: browser.subscribeBody).status == 201)
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "for admins only"]).status == 201)
        try await push.waitForRequests(count: 1)
        try db.query("UPDATE users SET is_admin = false WHERE id = $1", [f.admin.id])
        try await db.waitForEmptyOutbox(timeout: 30)
        #expect(log.all.map(\.status) == [503])
        try await relay.stop()
        push.stop()
    }

    /// A push service slow to answer does not hold up the Slack notice of the same round: the groups of a round leave
    /// together.
    @Test func aSlowPushServiceDoesNotHoldUpSlack() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        // When each request came: the notice must come before the push service answers (2.8 s after its request,
        // within the first attempt's 3 s), which is when it would come if it waited for that answer.
        let pushAsked = Mutex<Date?>(nil)
        let slackAsked = Mutex<Date?>(nil)
        let push = try RecordingHTTPServer()
        push.respond { _ in
            pushAsked.withLock { $0 = $0 ?? Date() }
            return .init(status: 201, text: "", delay: .milliseconds(2800))
        }
        let slack = try RecordingHTTPServer()
        slack.respond { _ in
            slackAsked.withLock { $0 = $0 ?? Date() }
            return .init(status: 200, text: "ok")
        }
        var environment = PushEnvironment.variables
        environment["SLACK_WEBHOOK_URL"] = slack.url("/hook")
        environment["ADMIN_URL_BASE"] = "https://admin.example.org/"
        let relay = try await TestRelay(database: database, environment: environment)
        let browser = PushBrowser(endpoint: push.url("/push/admin"))
        #expect(try await relay.request("POST", "/api/push/subscribe", token: relay.token(f.admin), json: browser.subscribeBody).status == 201)
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Hi"]).status == 201)
        try await slack.waitForRequests(count: 1)
        try await db.waitForEmptyOutbox()
        #expect(push.requests.count == 1)
        let asked = try #require(pushAsked.withLock { $0 })
        let noticed = try #require(slackAsked.withLock { $0 })
        let noticeAfter = noticed.timeIntervalSince(asked)
        #expect(noticeAfter < 2.8, "the notice came \(noticeAfter) s after the push request: once the push service had answered")
        try await relay.stop()
        push.stop()
        slack.stop()
    }

    /// A notice still unsent past the maximum age (every relay down, or none able to send its kind, for that long) is
    /// given up unsent, whether it was tried or not; a fresh one beside it goes.
    /// A push retried goes with the time its job has left (`TTL` at most `OUTBOX_MAX_AGE_SECONDS` from the job's
    /// creation), and a retry whose message its recipient read meanwhile is dropped.
    @Test func aRetriedPushGoesWithTheTimeItHasLeftAndNotOnceItsMessageIsRead() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        let log = ResponseLog()
        let answers = Mutex<[Int]>([500, 201, 503])
        push.respond { request in
            let status = answers.withLock { $0.isEmpty ? 201 : $0.removeFirst() }
            return log.answer(request, status, headers: status == 503 ? [("Retry-After", "3")] : [])
        }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables.merging(["OUTBOX_MAX_AGE_SECONDS": "3600"]) { $1 })
        let subscribe = PushBrowser(endpoint: push.url("/push/admin")).subscribeBody
        #expect(try await relay.request("POST", "/api/push/subscribe", token: relay.token(f.admin), json: subscribe).status == 201)
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "one"]).status == 201)
        let tries = try await push.waitForRequests(count: 2)
        for request in tries {
            let ttl = try #require(Int(request.header("TTL") ?? ""))
            #expect((3500...3600).contains(ttl), "TTL \(ttl)")
        }
        try await db.waitForEmptyOutbox()
        let two = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "two"])
        #expect(two.status == 201)
        _ = try await push.waitForRequests(count: 3)
        let id = try #require(two.object.string("id"))
        #expect(try await relay.request("PATCH", "/api/messages/\(id)/read", token: relay.token(f.admin)).status == 200)
        try await db.waitForEmptyOutbox(timeout: 30)
        #expect(push.requests.count == 3)
        #expect(log.all.map(\.status) == [500, 201, 503])
        try await relay.stop()
        push.stop()
    }

    @Test func aNotificationPastTheMaximumAgeIsGivenUpUnsent() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try RecordingHTTPServer()
        slack.respond { _ in .init(status: 200, text: "ok") }
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let old = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "from yesterday")
        try db.query(
            "INSERT INTO notification_outbox (kind, message_id, created_at) VALUES ('slack', $1, now() - interval '2 hours')", [old.id])
        let relay = try await TestRelay(
            database: database,
            environment: [
                "SLACK_WEBHOOK_URL": slack.url("/hook"), "ADMIN_URL_BASE": "https://admin.example.org/", "OUTBOX_MAX_AGE_SECONDS": "3600",
            ])
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "fresh"]).status == 201)
        try await db.waitForEmptyOutbox()
        try await slack.waitForRequests(count: 1)
        #expect(slack.requests.count == 1)
        #expect(String(decoding: slack.requests[0].body, as: UTF8.self).contains("fresh"))
        let reason = try db.scalar(
            "SELECT last_error FROM notification_outbox WHERE message_id = $1 AND failed_at IS NOT NULL", [old.id], as: String.self)
        #expect(reason.hasPrefix("given up unsent"), "\(reason)")
        try await relay.stop()
        slack.stop()
    }

    @Test func withoutAWebhookNoSlackJobIsQueued() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Anyone?"]).status == 201)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)
        try await relay.stop()
    }

    @Test func aKilledRelayLeavesPendingJobsThatARestartDeliversOnce() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        let log = ResponseLog()
        let up = Flag(false)
        push.respond { request in log.answer(request, up.isSet ? 201 : 503) }
        let first = try await TestRelay(database: database, environment: PushEnvironment.variables)
        let admin = PushBrowser(endpoint: push.url("/push/admin"))
        let alice = PushBrowser(endpoint: push.url("/push/alice"))
        #expect(try await first.request("POST", "/api/push/subscribe", token: first.token(f.admin), json: admin.subscribeBody).status == 201)
        #expect(try await first.request("POST", "/api/push/subscribe", token: first.token(f.alice), json: alice.subscribeBody).status == 201)
        var sentIds: Set<String> = []
        for index in 0..<5 {
            let sent = try await first.request("POST", "/api/messages", token: first.token(f.alice), json: ["content": "message \(index)"])
            sentIds.insert(try #require(sent.object.string("id")))
        }
        try await push.waitForRequests(count: 5)
        kill(first.process.pid, SIGKILL)
        try await waitFor("the relay to die") { !first.process.isRunning }
        // While no relay runs, the admin replies from the command line: queued too.
        let reply = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["reply", "alice", "Seen them all"],
            environment: ["DATABASE_URL": database.conninfo])
        #expect(reply.status == 0, "\(reply.stderr)")
        let replyId = reply.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL", as: Int.self) == 6)

        up.set(true)
        let second = try await TestRelay(database: database, environment: PushEnvironment.variables)
        try await db.waitForEmptyOutbox()
        let delivered = log.accepted
        let toAdmin = try delivered.filter { $0.path == "/push/admin" }.map { try admin.payload($0.body) }
        let adminIds = toAdmin.compactMap { ($0["data"] as? [String: Any])?["message_id"] as? String }
        #expect(adminIds.count == 5)
        #expect(Set(adminIds) == sentIds)
        let toAlice = delivered.filter { $0.path == "/push/alice" }
        #expect(toAlice.count == 1)
        let alicePayload = try alice.payload(toAlice[0].body)
        #expect((alicePayload["data"] as? [String: Any])?["message_id"] as? String == replyId)
        try await second.stop()
        push.stop()
    }
}
