import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Slack app mode, inbound: signed requests from Slack (events, buttons, slash commands) against real relays and
/// PostgreSQL, with a fake Slack as the Web API, msgctl as a process to link Slack users.
@Suite(.needsProcesses, .processSlot) struct SlackInboundTests {
    static let adminSlackUser = "UADMIN0001"
    static let strangerSlackUser = "USTRANGER1"

    /// A relay in app mode (``SlackAppOutboundTests/Desk``), Alice's conversation with its Slack thread (posted
    /// through the fake), and the admin linked to ``adminSlackUser`` with msgctl.
    struct Desk {
        let app: SlackAppOutboundTests.Desk
        let conversationId: String
        let threadTs: String

        var database: TestDatabase { app.database }
        var db: PostgresConnection { app.db }
        var f: Fixtures { app.f }
        var slack: FakeSlack { app.slack }
        var relay: TestRelay { app.relay }

        static func start() async throws -> Desk {
            let app = try await SlackAppOutboundTests.Desk()
            #expect(try await app.aliceSends("Where is my parcel?") == 201)
            let conversationId = try app.db.scalar("SELECT id FROM conversations WHERE user_id = $1", [app.f.alice.id], as: UUID.self)
            let parent = try await app.slack.waitForCalls("chat.postMessage", count: 1)[0]
            let threadTs = try #require(parent.answerTs)
            try await waitFor("the thread to be recorded") {
                try app.db.scalar("SELECT count(*) FROM slack_threads WHERE thread_ts = $1", [threadTs], as: Int.self) == 1
            }
            let link = try await ProcessRunner.runDetached(
                TestEnvironment.binary("msgctl"), ["slack", "link", "--admin", "admin", "--slack-user", adminSlackUser],
                environment: ["DATABASE_URL": app.database.conninfo])
            #expect(link.status == 0, "\(link.stderr)")
            return Desk(app: app, conversationId: conversationId.lowercasedString, threadTs: threadTs)
        }

        func stop() async throws { try await app.stop() }

        /// A socket of Alice's, once connected.
        func aliceSocket() async throws -> TestSocket {
            let socket = try relay.socket(f.alice)
            _ = try await socket.next(type: "connected")
            return socket
        }

        /// Posts `body` to `path`, signed (or as `headers` say).
        func post(_ path: String, _ body: Data, form: Bool = false, headers: [String: String]? = nil) async throws -> HTTPResult {
            let fields = headers ?? SlackRequests.headers(body, contentType: form ? "application/x-www-form-urlencoded" : "application/json")
            return try await relay.request("POST", path, body: body, headers: fields)
        }

        func event(_ id: String, _ event: [String: Any], extra: [String: String] = [:], on relay: TestRelay? = nil) async throws -> HTTPResult {
            let body = SlackRequests.eventCallback(id: id, event: event)
            let headers = SlackRequests.headers(body, contentType: "application/json").merging(extra) { $1 }
            return try await (relay ?? self.relay).request("POST", "/api/slack/events", body: body, headers: headers)
        }

        func reply(_ text: String, user: String = SlackInboundTests.adminSlackUser, ts: String, extra: [String: Any] = [:]) -> [String: Any] {
            SlackRequests.threadMessage(user: user, text: text, threadTs: threadTs, ts: ts, extra: extra)
        }

        func adminMessages() throws -> [String] {
            try db.query(
                "SELECT content FROM messages WHERE conversation_id = $1 AND sender_id = $2 ORDER BY id",
                [UUID(uuidString: conversationId)!, f.admin.id]
            ).map { try $0.decode(0, as: String.self) }
        }

        func command(_ text: String, user: String = SlackInboundTests.adminSlackUser) async throws -> HTTPResult {
            try await post("/api/slack/commands", SlackRequests.command(user: user, text: text), form: true)
        }

        func click(_ action: String, value: String?, user: String = SlackInboundTests.adminSlackUser, responseURL: String? = nil) async throws
            -> HTTPResult
        {
            let url = responseURL ?? "https://hooks.slack.com/actions/T0TEAM/1/abc"
            return try await post(
                "/api/slack/interactions", SlackRequests.buttonClick(user: user, actionId: action, value: value, responseURL: url), form: true)
        }
    }

    @Test func urlVerificationAndSignaturesOnEveryRoute() async throws {
        let desk = try await Desk.start()
        let challenge = Data(#"{"token":"legacy","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#.utf8)
        let answer = try await desk.post("/api/slack/events", challenge)
        #expect(answer.status == 200)
        #expect(answer.object.string("challenge") == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")

        let marker = "body-must-not-be-logged-4711"
        let bodies: [(String, Data, Bool)] = [
            ("/api/slack/events", SlackRequests.eventCallback(id: "EvSig1", event: desk.reply(marker, ts: "1800000000.000300")), false),
            (
                "/api/slack/interactions",
                SlackRequests.buttonClick(user: Self.adminSlackUser, actionId: "mark_read", value: desk.conversationId, responseURL: marker), true
            ),
            ("/api/slack/commands", SlackRequests.command(user: Self.adminSlackUser, text: "reply alice \(marker)"), true),
        ]
        let now = Int64(Date().timeIntervalSince1970)
        for (path, body, form) in bodies {
            let type = form ? "application/x-www-form-urlencoded" : "application/json"
            var refusals: [(String, [String: String])] = [
                ("wrong secret", SlackRequests.headers(body, secret: "not-the-secret", contentType: type)),
                ("six minutes old", SlackRequests.headers(body, timestamp: now - 360, contentType: type)),
                ("six minutes ahead", SlackRequests.headers(body, timestamp: now + 360, contentType: type)),
                ("no headers", ["Content-Type": type]),
            ]
            var altered = SlackRequests.headers(body, contentType: type)
            altered["X-Slack-Signature"] = SlackRequests.headers(body + Data(" ".utf8), contentType: type)["X-Slack-Signature"]
            refusals.append(("altered body", altered))
            var noTimestamp = SlackRequests.headers(body, contentType: type)
            noTimestamp["X-Slack-Request-Timestamp"] = nil
            refusals.append(("no timestamp", noTimestamp))
            for (what, headers) in refusals {
                let refused = try await desk.post(path, body, headers: headers)
                #expect(refused.status == 401, "\(path): \(what)")
                #expect(refused.error == "Invalid Slack signature", "\(path): \(what)")
            }
            // A body beyond the limit is refused before anything reads it, signed or not: the answer comes before the
            // body is sent (sending it all would race the connection's close once the relay has read what it drains).
            let huge = Data(repeating: 0x61, count: 1100 * 1024)
            let head =
                "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(huge.count)\r\n"
                + SlackRequests.headers(huge, contentType: type).map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
            let port = desk.relay.port
            let tooLarge = try await onOwnThread { () -> RawHTTPConnection.Response? in
                let connection = try RawHTTPConnection(port: port)
                connection.send(head)
                return connection.readResponse(timeout: 20)
            }
            #expect(tooLarge?.status == 413, "\(path)")
            #expect(tooLarge?.error?.contains("too large") == true)
        }
        // Headers that cannot be Slack's are refused before the body is read: the answer comes without it.
        let port = desk.relay.port
        let stale = try await onOwnThread { () -> RawHTTPConnection.Response? in
            let connection = try RawHTTPConnection(port: port)
            connection.send(
                "POST /api/slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n"
                    + "X-Slack-Request-Timestamp: \(now - 3600)\r\nX-Slack-Signature: v0=00\r\n\r\n")
            return connection.readResponse(timeout: 5)
        }
        #expect(stale?.status == 401, "\(String(describing: stale))")
        // Nothing of the refused requests happened, and their bodies were not logged; refusals in a flood are logged
        // once a minute.
        #expect(desk.relay.process.text.components(separatedBy: "Slack request refused").count == 2)
        #expect(try desk.adminMessages().isEmpty)
        #expect(try desk.db.scalar("SELECT count(*) FROM slack_inbox", as: Int.self) == 0)
        #expect(try desk.db.scalar("SELECT unread_count_admin FROM conversations", as: Int.self) == 1)
        #expect(desk.relay.process.text.contains("Slack request refused"))
        #expect(!desk.relay.process.text.contains(marker))
        try await desk.stop()
    }

    @Test func aThreadReplyBecomesTheAdminsMessageOnceAndIsNotPostedBack() async throws {
        let desk = try await Desk.start()
        let socket = try await desk.aliceSocket()

        let event = desk.reply("Tomorrow &lt;morning&gt; &amp; <https://track.example/1|tracking>", ts: "1800000000.000300")
        let accepted = try await desk.event("EvReply1", event)
        #expect(accepted.status == 200, "\(accepted.text)")
        let delivered = try await socket.next(type: "message")
        #expect(delivered.data["content"] as? String == "Tomorrow <morning> & tracking (https://track.example/1)")
        #expect((delivered.data["sender"] as? [String: Any])?["username"] as? String == "admin")
        #expect(delivered.data["conversation_id"] as? String == desk.conversationId)
        let messageId = try #require(delivered.data["id"] as? String)

        // Slack's retries (same event_id, X-Slack-Retry-Num) and a second delivery store and deliver nothing more.
        #expect(try await desk.event("EvReply1", event, extra: ["X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"]).status == 200)
        #expect(try await desk.event("EvReply1", event, extra: ["X-Slack-Retry-Num": "2"]).status == 200)
        #expect(try await desk.event("EvReply1", event).status == 200)
        #expect(try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE event_id = 'EvReply1'", as: Int.self) == 1)

        // What is ignored: bots, this app's own posts, edits, deletions, joins, top-level messages, unlinked users,
        // other threads. A last reply shows that everything before it was handled.
        let ignored: [[String: Any]] = [
            desk.reply("from a bot", ts: "1800000000.000401", extra: ["subtype": "bot_message", "bot_id": "B0OTHER"]),
            desk.reply("bot id only", ts: "1800000000.000402", extra: ["bot_id": "B0OTHER"]),
            desk.reply("our own post", user: SlackRequests.botUser, ts: "1800000000.000403"),
            desk.reply("edited", ts: "1800000000.000404", extra: ["subtype": "message_changed"]),
            desk.reply("deleted", ts: "1800000000.000405", extra: ["subtype": "message_deleted"]),
            desk.reply("<@UADMIN0001> has joined the channel", ts: "1800000000.000406", extra: ["subtype": "channel_join"]),
            ["type": "message", "channel": SlackRequests.channel, "user": Self.adminSlackUser, "text": "top level", "ts": "1800000000.000407"],
            desk.reply("a stranger", user: Self.strangerSlackUser, ts: "1800000000.000408"),
            SlackRequests.threadMessage(user: Self.adminSlackUser, text: "another thread", threadTs: "1111111111.000001", ts: "1800000000.000409"),
            ["type": "reaction_added", "user": Self.adminSlackUser, "reaction": "thumbsup", "item": ["type": "message"]],
        ]
        for (index, event) in ignored.enumerated() {
            #expect(try await desk.event("EvIgnored\(index)", event).status == 200)
        }
        #expect(try await desk.event("EvReply2", desk.reply("Second reply", ts: "1800000000.000500")).status == 200)
        #expect(try await socket.next(type: "message").data["content"] as? String == "Second reply")
        #expect(try desk.adminMessages() == ["Tomorrow <morning> & tracking (https://track.example/1)", "Second reply"])
        #expect(try SlackInboxRepository.state(desk.db, eventId: "EvIgnored7")?.state == .ignored)
        #expect(try SlackInboxRepository.state(desk.db, eventId: "EvIgnored7")?.lastError == "Slack user USTRANGER1 is not linked to an admin")
        #expect(try SlackInboxRepository.state(desk.db, eventId: "EvIgnored8")?.lastError == "not the thread of a conversation")
        #expect(try SlackInboxRepository.state(desk.db, eventId: "EvReply1")?.state == .done)

        // Never posted back: no Slack post job for these messages, and the fake saw only the user's parent message.
        try await desk.db.waitForEmptyOutbox()
        #expect(
            try desk.db.scalar(
                "SELECT count(*) FROM messages m WHERE m.sender_id = $1 AND EXISTS (SELECT 1 FROM notification_outbox o WHERE o.message_id = m.id AND o.kind = 'slack_post')",
                [desk.f.admin.id], as: Int.self) == 0)
        #expect(desk.slack.calls("chat.postMessage").count == 1)
        #expect(!desk.slack.calls("chat.postMessage").contains { $0.request.bodyText.contains("Second reply") })
        // ... while an admin's reply through REST is posted to the thread as before.
        let rest = try await desk.relay.request(
            "POST", "/api/messages", token: desk.relay.token(desk.f.admin), json: ["conversation_id": desk.conversationId, "content": "Via REST"])
        #expect(rest.status == 201)
        let posted = try await desk.slack.waitForCalls("chat.postMessage", count: 2)
        #expect(posted[1].string("thread_ts") == desk.threadTs && posted[1].request.bodyText.contains("Via REST"))
        #expect(messageId != rest.object.string("id"))
        try await desk.stop()
    }

    @Test func hostileEventsGetClearRefusalsNeverServerErrors() async throws {
        let desk = try await Desk.start()
        let cases: [(String, Data, Int)] = [
            ("not JSON", Data("{\"type\":".utf8), 400),
            ("an array", Data("[1,2]".utf8), 400),
            ("no event_id", Data(#"{"type":"event_callback","event":{"type":"message"}}"#.utf8), 400),
            ("a hostile event_id", SlackRequests.eventCallback(id: "Ev'; DROP TABLE messages;--", event: desk.reply("x", ts: "1.2")), 400),
            ("invalid UTF-8", Data([0x7B, 0x22, 0x74, 0xFF, 0x22, 0x7D]), 400),
            ("an unknown type", Data(#"{"type":"something_new"}"#.utf8), 200),
            ("a 60 KB challenge", Data(#"{"type":"url_verification","challenge":"\#(String(repeating: "c", count: 60_000))"}"#.utf8), 400),
        ]
        for (what, body, status) in cases {
            let answer = try await desk.post("/api/slack/events", body)
            #expect(answer.status == status, "\(what): \(answer.text)")
            if status != 200 { #expect(answer.error?.isEmpty == false, "\(what)") }
        }
        // Control characters, a NUL and text beyond the message limit: stored, cut or refused by the content rules.
        #expect(try await desk.event("EvCtl", desk.reply("bell \u{7} and \u{1B}[31mred", ts: "1800000000.000601")).status == 200)
        #expect(try await desk.event("EvNul", desk.reply("nul \u{0} inside", ts: "1800000000.000602")).status == 200)
        #expect(try await desk.event("EvLong", desk.reply(String(repeating: "x", count: 12_000), ts: "1800000000.000603")).status == 200)
        #expect(try await desk.event("EvBlank", desk.reply(" \n ", ts: "1800000000.000604")).status == 200)
        try await waitFor("the events to be handled") {
            try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE state = 'pending'", as: Int.self) == 0
        }
        let messages = try desk.adminMessages()
        #expect(messages.count == 2)
        #expect(messages.first == "bell \u{7} and \u{1B}[31mred")
        #expect(messages.last?.unicodeScalars.count == Message.maximumLength)
        #expect(try SlackInboxRepository.state(desk.db, eventId: "EvNul")?.state == .ignored)
        #expect(try SlackInboxRepository.state(desk.db, eventId: "EvBlank")?.state == .ignored)
        #expect(!desk.relay.process.text.contains("Internal server error"))
        try await desk.stop()
    }

    /// Bodies read before their signature can be checked share a bound (32 MiB), counted as their bytes arrive: a flood
    /// of 1 MiB bodies is refused with 503 beyond it, not held in memory; room comes back as they end.
    @Test func unverifiedBodiesHoldABoundedAmountOfMemory() async throws {
        let desk = try await Desk.start()
        let now = Int64(Date().timeIntervalSince1970)
        let head =
            "POST /api/slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "X-Slack-Request-Timestamp: \(now)\r\nX-Slack-Signature: v0=\(String(repeating: "0", count: 64))\r\n"
            + "Content-Length: 1048576\r\n\r\n"
        // All but the last byte of each body: the relay holds them, waiting for it.
        let body = Array("{\"pad\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 1_048_575 - 8)
        var held: [RawHTTPConnection] = []
        for _ in 0..<32 {
            let connection = try RawHTTPConnection(port: desk.relay.port)
            #expect(connection.send(Array(head.utf8) + body))
            held.append(connection)
        }
        var attempt = 0
        try await waitFor("a signed event to be refused while the bound is taken", timeout: 8) {
            attempt += 1
            let answer = try await desk.event("EvBound\(attempt)", desk.reply("bounded", ts: "1800000000.0009\(attempt)"))
            guard answer.status == 503 else { return false }
            #expect(answer.headers["retry-after"] == "1" && answer.error?.contains("Too many Slack requests") == true)
            return true
        }
        held = []
        try await waitFor("room again") {
            attempt += 1
            return try await desk.event("EvBound\(attempt)", desk.reply("bounded", ts: "1800000000.0009\(attempt)")).status == 200
        }
        try await desk.stop()
    }

    /// Saying a body is large and sending it slowly holds no room: the bound counts bytes that arrived.
    @Test func slowUnverifiedBodiesHoldNoRoom() async throws {
        let desk = try await Desk.start()
        let now = Int64(Date().timeIntervalSince1970)
        var slow: [RawHTTPConnection] = []
        for _ in 0..<48 {
            let connection = try RawHTTPConnection(port: desk.relay.port)
            _ = connection.send(
                "POST /api/slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "X-Slack-Request-Timestamp: \(now)\r\nX-Slack-Signature: v0=\(String(repeating: "0", count: 64))\r\n"
                    + "Content-Length: 1048576\r\n\r\n{\"pad\":\"")
            slow.append(connection)
        }
        let answer = try await desk.event("EvSlow", desk.reply("not held up", ts: "1800000000.000951"))
        #expect(answer.status == 200, "\(answer.text)")
        // A body said to be larger than the route takes is refused before it is read.
        let large = try RawHTTPConnection(port: desk.relay.port)
        _ = large.send(
            "POST /api/slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "X-Slack-Request-Timestamp: \(now)\r\nX-Slack-Signature: v0=\(String(repeating: "0", count: 64))\r\n"
                + "Content-Length: 2000000\r\n\r\n{")
        let refused = try await onOwnThread { large.readResponse(timeout: 10) }
        #expect(refused?.status == 413)
        slow = []
        try await desk.stop()
    }

    /// The signing secret is the app's, the same in every workspace the app is in: requests from another workspace than
    /// the relay's (SLACK_TEAM_ID) change nothing, not even from a Slack user id that is linked.
    @Test func requestsFromAnotherWorkspaceChangeNothing() async throws {
        let desk = try await Desk.start()
        let other = "T0OTHER"
        let event = SlackRequests.eventCallback(id: "EvOther", event: desk.reply("from elsewhere", ts: "1800000000.000801"), team: other)
        let accepted = try await desk.post("/api/slack/events", event)
        #expect(accepted.status == 200)
        #expect(try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE event_id = 'EvOther'", as: Int.self) == 0)
        let command = try await desk.post(
            "/api/slack/commands", SlackRequests.command(user: SlackInboundTests.adminSlackUser, text: "reply alice from elsewhere", team: other),
            form: true)
        #expect(command.status == 200 && command.object.string("text") == SlashCommandAnswer.otherWorkspace, "\(command.text)")
        let unread = try desk.db.scalar("SELECT unread_count_admin FROM conversations", as: Int.self)
        let click = try await desk.post(
            "/api/slack/interactions",
            SlackRequests.buttonClick(
                user: SlackInboundTests.adminSlackUser, actionId: "mark_read", value: desk.conversationId,
                responseURL: desk.slack.server.url("/response/other"), team: other), form: true)
        #expect(click.status == 200 && click.object.string("text") == SlashCommandAnswer.otherWorkspace, "\(click.text)")
        // Slack shows no answer to a button: the clicker is told at the response_url.
        let told = try await desk.slack.waitForCalls("other", count: 1)[0]
        #expect(told.string("text") == SlashCommandAnswer.otherWorkspace)
        #expect(try desk.db.scalar("SELECT unread_count_admin FROM conversations", as: Int.self) == unread && unread > 0)
        #expect(try desk.adminMessages().isEmpty)
        // The relay's own workspace is taken.
        #expect(try await desk.event("EvOwn", desk.reply("from home", ts: "1800000000.000802")).status == 200)
        try await waitFor("the reply to be handled") { try desk.adminMessages() == ["from home"] }
        try await desk.stop()
    }

    /// Slack sends a reply's text twice (`text` and the `rich_text` blocks): a long reply is well over 64 KiB, and is
    /// taken (cut to the message limit), not refused with 413 (Slack's retries, the same size, would be refused too).
    @Test func aLongReplyWithItsBlocksIsTaken() async throws {
        let desk = try await Desk.start()
        let long = String(repeating: "y", count: 39_000)
        let blocks: [[String: Any]] = [
            ["type": "rich_text", "elements": [["type": "rich_text_section", "elements": [["type": "text", "text": long]]]]]
        ]
        let answer = try await desk.event("EvLongBlocks", desk.reply(long, ts: "1800000000.000701", extra: ["blocks": blocks]))
        #expect(answer.status == 200, "\(answer.text)")
        try await waitFor("the reply to be handled") {
            try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE state = 'pending'", as: Int.self) == 0
        }
        let stored = try desk.adminMessages()
        #expect(stored.count == 1 && stored[0].unicodeScalars.count == Message.maximumLength && stored[0].hasPrefix("yyyy"))
        // Beyond what Slack sends: refused before its signature is checked.
        let huge = try await desk.post("/api/slack/events", Data(String(repeating: " ", count: 1_100_000).utf8))
        #expect(huge.status == 413)
        try await desk.stop()
    }

    @Test func aSlowDatabaseIsAnsweredInTimeAndSlacksRetryIsStored() async throws {
        let desk = try await Desk.start()
        let socket = try await desk.aliceSocket()
        // Another session holds the inbox table: the insert cannot finish.
        let blocker = try desk.database.connect()
        try blocker.execute("BEGIN; LOCK TABLE slack_inbox IN ACCESS EXCLUSIVE MODE")
        let event = desk.reply("After the outage", ts: "1800000000.000700")
        let body = SlackRequests.eventCallback(id: "EvSlow", event: event)
        let (answer, took) = try await SlackRequests.timedEvent(port: desk.relay.port, body)
        let refused = try #require(answer, "no answer")
        #expect(refused.status == 503, "\(refused.text)")
        #expect(refused.error?.contains("Slack sends it again") == true)
        #expect(took < .seconds(3), "answered after \(took)")
        try blocker.execute("ROLLBACK")
        // Slack's retry of the same event is stored and handled.
        #expect(try await desk.event("EvSlow", event, extra: ["X-Slack-Retry-Num": "1"]).status == 200)
        #expect(try await socket.next(type: "message").data["content"] as? String == "After the outage")
        #expect(try desk.adminMessages() == ["After the outage"])
        try await desk.stop()
    }

    @Test func twoRelaysHandleEachEventOnce() async throws {
        let desk = try await Desk.start()
        let second = try await TestRelay(database: desk.database, environment: SlackAppOutboundTests.environment(desk.slack))
        for index in 0..<12 {
            let event = desk.reply("reply \(index)", ts: "1800000000.0010\(10 + index)")
            // Each event reaches both relays, as Slack's retries could.
            #expect(try await desk.event("EvBoth\(index)", event).status == 200)
            #expect(try await desk.event("EvBoth\(index)", event, extra: ["X-Slack-Retry-Num": "1"], on: second).status == 200)
        }
        try await waitFor("12 replies") { try desk.adminMessages().count >= 12 }
        try await waitFor("the inbox to be handled") {
            try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE state = 'pending'", as: Int.self) == 0
        }
        #expect(try desk.adminMessages().sorted() == (0..<12).map { "reply \($0)" }.sorted())
        try await second.stop()
        try await desk.stop()
    }
}
