import Foundation
import MsgLib
import Synchronization
import TestSupport
import Testing

/// The metrics a dashboard reads move with what the relay does: messages by source, WebSocket frames, sockets,
/// resumes, rate-limit refusals, notifications and the outbox's backlog.
@Suite(.needsProcesses, .processSlot) struct RelayMetricsTests {
    /// Waits until `series` reaches at least `value` on the relay's /metrics.
    func waitForMetric(_ relay: TestRelay, _ series: String, atLeast value: Double) async throws {
        var last: Double?
        try await waitFor("\(series) >= \(value) (last \(String(describing: last)))") {
            last = try await relay.metrics().value(series)
            return (last ?? -1) >= value
        }
    }

    /// msgctl exports no metrics: one relay counts its messages, so that the sum over relays counts each once; when
    /// that relay stops, another takes the count over.
    @Test func oneRelayCountsMsgctlMessages() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let first = try await TestRelay(database: database)
        try await waitForMetric(first, "msgrelay_counting_other_writers", atLeast: 1)
        // Alice's conversation, for msgctl to reply in.
        #expect(try await first.request("POST", "/api/messages", token: first.token(f.alice), json: ["content": "hello"]).status == 201)
        let second = try await TestRelay(database: database)
        let msgctl = { (text: String) async throws in
            let reply = try await ProcessRunner.ours("msgctl", ["reply", "alice", text], environment: ["DATABASE_URL": database.conninfo])
            #expect(reply.status == 0, "\(reply.stderr)")
        }
        try await msgctl("one")
        // Both relays deliver it; only the first counts it as created.
        for relay in [first, second] { try await waitForMetric(relay, "msgrelay_messages_from_other_writers_total", atLeast: 1) }
        let firstMetrics = try await first.metrics()
        let secondMetrics = try await second.metrics()
        #expect(firstMetrics.value(#"msgrelay_messages_created_total{source="msgctl"}"#) == 1)
        #expect(secondMetrics.value(#"msgrelay_messages_created_total{source="msgctl"}"#) == 0)
        #expect(secondMetrics.value("msgrelay_counting_other_writers") == 0)

        // The counting relay stops: the other claims the count at its next round trip with the database.
        try await first.stop()
        try await waitForMetric(second, "msgrelay_counting_other_writers", atLeast: 1)
        try await msgctl("two")
        try await waitForMetric(second, #"msgrelay_messages_created_total{source="msgctl"}"#, atLeast: 1)
        #expect(try await second.metrics().value(#"msgrelay_messages_created_total{source="msgctl"}"#) == 1)
        #expect(try await second.metrics().value("msgrelay_messages_from_other_writers_total") == 2)
    }

    @Test func messagesSocketsResumesAndRateLimitsAreCounted() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(
            database: database,
            environment: [
                "MESSAGE_RATE_LIMIT_PER_MINUTE": "3", "WS_MAX_SOCKETS_PER_USER": "2", "WS_FRAMES_PER_SECOND": "1", "WS_FRAME_BURST": "8",
            ])
        let before = try await relay.metrics()
        #expect(before.value(#"msgrelay_messages_created_total{source="rest"}"#) == 0)
        #expect(before.value(#"msgrelay_websocket_frames_received_total{type="send_message"}"#) == 0)

        // REST, then the admin's socket.
        let first = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "one"])
        #expect(first.status == 201)
        let conversation = try #require(first.object.string("conversation_id"))
        let firstId = try #require(first.object.string("id"))
        let admin = try relay.socket(f.admin)
        _ = try await admin.next(type: "connected")
        try admin.send(["type": "send_message", "data": ["conversation_id": conversation, "content": "two"]])
        _ = try await admin.next { $0.type == "message" && $0.data["content"] as? String == "two" }
        var metrics = try await relay.metrics()
        #expect(metrics.value(#"msgrelay_messages_created_total{source="rest"}"#) == 1)
        #expect(metrics.value(#"msgrelay_messages_created_total{source="websocket"}"#) == 1)
        #expect(metrics.value(#"msgrelay_websocket_frames_received_total{type="send_message"}"#) == 1)
        #expect((metrics.value(#"msgrelay_websocket_frames_sent_total{type="connected"}"#) ?? 0) >= 1)
        #expect((metrics.value(#"msgrelay_websocket_frames_sent_total{type="message"}"#) ?? 0) >= 1)
        #expect((metrics.value("msgrelay_websocket_connections_opened_total") ?? 0) >= 1)

        // msgctl writes in a process of its own: the relay's commit feed delivers its message, and counts it (the only
        // relay holds the right to count msgctl's messages).
        let reply = try await ProcessRunner.ours("msgctl", ["reply", "alice", "three"], environment: ["DATABASE_URL": database.conninfo])
        #expect(reply.status == 0, "\(reply.stderr)")
        try await waitForMetric(relay, "msgrelay_messages_from_other_writers_total", atLeast: 1)
        // The relay's own two messages are not among them.
        metrics = try await relay.metrics()
        #expect(metrics.value("msgrelay_messages_from_other_writers_total") == 1)
        #expect(metrics.value(#"msgrelay_messages_created_total{source="msgctl"}"#) == 1)
        #expect(metrics.value("msgrelay_counting_other_writers") == 1)
        #expect(
            try db.query("SELECT source FROM messages ORDER BY created_at, id").map { try $0.decode(0, as: String?.self) } == [
                "rest", "websocket", "msgctl",
            ])

        // A fresh socket replays what Alice has not read; one that names its last message resumes after it.
        let fresh = try relay.socket(f.alice)
        _ = try await fresh.next(type: "replayed")
        let resumed = try relay.socket(f.alice, query: "last_message_id=\(firstId)")
        let replayed = try await resumed.next(type: "replayed")
        #expect(replayed.data["count"] as? Int == 2)
        metrics = try await relay.metrics()
        #expect(metrics.value("msgrelay_websocket_resumes_total") == 1)
        #expect(metrics.value(#"msgrelay_websocket_replayed_messages_total{replay="resume"}"#) == 2)
        #expect((metrics.value(#"msgrelay_websocket_replayed_messages_total{replay="unread"}"#) ?? 0) >= 1)

        // Rate limits: REST sends past 3 a minute, a socket send past it too, a third socket, a burst of frames.
        for content in ["four", "five"] {
            #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": content]).status == 201)
        }
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "six"]).status == 429)
        try fresh.send(["type": "send_message", "data": ["content": "seven"]])
        let refused = try await fresh.next(type: "error")
        #expect(refused.data["code"] as? String == "rate_limited")
        let third = try relay.socket(f.alice)
        #expect(try await third.next(type: "error").data["code"] as? String == "too_many_sockets")
        let bob = try relay.socket(f.bob)
        _ = try await bob.next(type: "connected")
        for _ in 0..<12 { try bob.sendText("not a frame") }
        _ = try await bob.next { $0.type == "error" && $0.data["code"] as? String == "too_many_frames" }
        metrics = try await relay.metrics()
        #expect(metrics.value(#"msgrelay_messages_created_total{source="rest"}"#) == 3)
        #expect(metrics.value(#"msgrelay_rate_limited_total{surface="rest",limit="messages"}"#) == 1)
        #expect(metrics.value(#"msgrelay_rate_limited_total{surface="websocket",limit="messages"}"#) == 1)
        #expect(metrics.value(#"msgrelay_rate_limited_total{surface="websocket",limit="sockets"}"#) == 1)
        #expect((metrics.value(#"msgrelay_rate_limited_total{surface="websocket",limit="frames"}"#) ?? 0) >= 1)
        #expect((metrics.value(#"msgrelay_websocket_frames_received_total{type="invalid"}"#) ?? 0) >= 1)
        #expect((metrics.value(#"msgrelay_http_requests_total{route="/api/messages",method="POST",status="429"}"#) ?? 0) == 1)

        // A socket the client closes.
        let closedBefore = metrics.value(#"msgrelay_websocket_disconnects_total{initiator="client"}"#) ?? 0
        try resumed.sendClose()
        try await waitForMetric(relay, #"msgrelay_websocket_disconnects_total{initiator="client"}"#, atLeast: closedBefore + 1)
        try await waitFor("the socket gauge to follow") { try await relay.socketCount() == 3 }
        // A socket whose client vanishes without a close frame: counted apart from the clients' own closes.
        metrics = try await relay.metrics()
        let clientBefore = metrics.value(#"msgrelay_websocket_disconnects_total{initiator="client"}"#) ?? 0
        let networkBefore = metrics.value(#"msgrelay_websocket_disconnects_total{initiator="network"}"#) ?? -1
        let gone = try relay.socket(f.admin)
        _ = try await gone.next(type: "connected")
        gone.vanish()
        try await waitForMetric(relay, #"msgrelay_websocket_disconnects_total{initiator="network"}"#, atLeast: networkBefore + 1)
        #expect(try await relay.metrics().value(#"msgrelay_websocket_disconnects_total{initiator="client"}"#) == clientBefore)
        try await relay.stop()
    }

    @Test func notificationsAndTheOutboxBacklogAreCounted() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try RecordingHTTPServer()
        let answer = Mutex(500)
        slack.respond { _ in RecordingHTTPServer.Response(status: answer.withLock { $0 }, text: "answer") }
        let relay = try await TestRelay(
            database: database,
            environment: [
                "SLACK_WEBHOOK_URL": slack.url("/hook"), "ADMIN_URL_BASE": "https://admin.example.org/", "OUTBOX_RETRY_BASE_SECONDS": "0.2",
                "OUTBOX_MAX_AGE_SECONDS": "1",
            ])
        // Slack is down: the notice is retried, then given up once older than OUTBOX_MAX_AGE_SECONDS.
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Hello"]).status == 201)
        try await waitForMetric(relay, #"msgrelay_notifications_total{kind="slack",outcome="given_up"}"#, atLeast: 1)
        var metrics = try await relay.metrics()
        #expect((metrics.value(#"msgrelay_notifications_total{kind="slack",outcome="retried"}"#) ?? 0) >= 1)
        #expect(metrics.value(#"msgrelay_notifications_total{kind="slack",outcome="sent"}"#) == 0)
        // Slack is back.
        answer.withLock { $0 = 200 }
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Again"]).status == 201)
        try await waitForMetric(relay, #"msgrelay_notifications_total{kind="slack",outcome="sent"}"#, atLeast: 1)

        // A push job this relay cannot send (it has no VAPID keys) waits, due, in the outbox: the gauges show it.
        _ = try PushSubscriptionRepository.upsert(db, userId: f.alice.id, endpoint: "https://push.example/alice", p256dh: "k", auth: "a")
        let conversation = try db.scalar("SELECT id FROM conversations WHERE user_id = $1", [f.alice.id], as: UUID.self)
        #expect(
            try await relay.request(
                "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversation.lowercasedString, "content": "Hi"]
            ).status == 201)
        try await waitFor("the backlog gauges to show the push job", timeout: 30) {
            metrics = try await relay.metrics()
            return metrics.value(#"msgrelay_outbox_jobs{kind="push"}"#) == 1 && (metrics.value("msgrelay_outbox_oldest_due_seconds") ?? 0) > 0
        }
        #expect(metrics.value(#"msgrelay_outbox_jobs{kind="slack"}"#) == 0)
        #expect((metrics.value("msgrelay_outbox_backlog_read_timestamp_seconds") ?? 0) > Date().timeIntervalSince1970 - 60)
        try await relay.stop()
        slack.stop()
    }

    @Test func slackMessagesAreCountedUnderTheirSource() async throws {
        let desk = try await SlackInboundTests.Desk.start()
        // The Slack thread's parent was posted when the desk started.
        try await waitForMetric(desk.relay, #"msgrelay_notifications_total{kind="slack_post",outcome="sent"}"#, atLeast: 1)
        let command = try await desk.command("reply alice From the slash command")
        #expect(command.status == 200, "\(command.text)")
        #expect(try await desk.event("EvMetrics1", desk.reply("From the thread", ts: "1800000000.000900")).status == 200)
        try await waitForMetric(desk.relay, #"msgrelay_messages_created_total{source="slack"}"#, atLeast: 2)
        let metrics = try await desk.relay.metrics()
        #expect(metrics.value(#"msgrelay_messages_created_total{source="slack"}"#) == 2)
        try await desk.stop()
    }
}
