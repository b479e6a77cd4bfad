import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Slack app mode, outbound: every message of a conversation, whoever writes it and however, reaches one Slack
/// thread through the Web API, from the outbox. Real relays and PostgreSQL, msgctl as a process, a fake Slack.
@Suite(.needsProcesses) struct SlackAppOutboundTests {
    static let channel = "C0INBOX01"

    static func environment(_ slack: FakeSlack) -> [String: String?] {
        [
            "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-signing-secret", "SLACK_CHANNEL_ID": channel,
            "SLACK_API_BASE": slack.apiBase, "ADMIN_URL_BASE": "https://admin.example.org/", "OUTBOX_RETRY_BASE_SECONDS": "0.2",
        ]
    }

    func waitForEmptyOutbox(_ db: PostgresConnection, timeout: TimeInterval = 20) async throws {
        try await waitFor("the outbox to empty", timeout: timeout) {
            try db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL", as: Int.self) == 0
        }
    }

    @Test func everyWriterReachesTheConversationsThread() async throws {
        let database = try TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try FakeSlack()
        defer { slack.stop() }
        let relay = try await TestRelay(database: database, environment: Self.environment(slack))
        #expect(try db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self))

        let first = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Hello <!channel> & co"])
        #expect(first.status == 201)
        let conversationId = try #require(first.object.string("conversation_id"))
        let parent = try await slack.waitForCalls("chat.postMessage", count: 1)[0]
        #expect(parent.header("Authorization") == "Bearer xoxb-test-token")
        #expect(parent.header("Content-Type") == "application/json; charset=utf-8")
        #expect(parent.string("channel") == Self.channel)
        #expect(parent.string("thread_ts") == nil)
        let body = parent.object
        #expect(body.string("blocks.0.text.text") == "*Alice*\nHello &lt;!channel&gt; &amp; co")
        #expect(body.string("blocks.1.elements.0.text") == "No unread messages" || body.string("blocks.1.elements.0.text") == "1 unread message")
        let buttons = body.array("blocks.2.elements")
        #expect(buttons.map { $0.string("action_id") } == ["mark_read", "archive", "view"])
        #expect(buttons.allSatisfy { $0.string("value") == conversationId })
        #expect(buttons[2].string("url") == "https://admin.example.org/admin/messages/\(conversationId)")
        let threadTs = try #require(parent.answerTs)

        // The second user message, an admin's REST reply, and a reply from msgctl without any Slack variable.
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Second"]).status == 201)
        try await slack.waitForCalls("chat.postMessage", count: 2)
        #expect(
            try await relay.request(
                "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversationId, "content": "From REST"]
            ).status == 201)
        try await slack.waitForCalls("chat.postMessage", count: 3)
        let ctl = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["reply", "alice", "From msgctl"], environment: ["DATABASE_URL": database.conninfo])
        #expect(ctl.status == 0, "\(ctl.stderr)")
        let posts = try await slack.waitForCalls("chat.postMessage", count: 4)
        #expect(posts.count == 4)
        #expect(posts[1...].map { $0.string("thread_ts") } == [threadTs, threadTs, threadTs])
        #expect(posts[1].string("text") == "*Alice*\nSecond")
        #expect(posts[2].string("text") == "*Admin* (admin)\nFrom REST")
        #expect(posts[3].string("text") == "*Admin* (admin)\nFrom msgctl")
        try await waitForEmptyOutbox(db)
        let thread = try #require(try SlackThreadRepository.thread(db, conversationId: UUID(uuidString: conversationId)!))
        #expect(thread.threadTs == threadTs && thread.channelId == Self.channel)
        #expect(try SlackThreadRepository.conversation(db, channelId: Self.channel, threadTs: threadTs)?.lowercasedString == conversationId)

        // A message that came from Slack is stored and delivered, but not posted back.
        let service = MessagingService(pool: database.pool(size: 1))
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")
        let fromSlack = try await service.sendMessage(
            viewer: f.admin, conversationId: UUID(uuidString: conversationId)!, content: "Typed in Slack", origin: .slack)
        let frame = try await socket.next { $0.type == "message" && $0.data["id"] as? String == fromSlack.id.lowercasedString }
        #expect(frame.data["content"] as? String == "Typed in Slack")
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox WHERE message_id = $1", [fromSlack.id], as: Int.self) == 0)

        // The parent is rewritten with the conversation's state.
        _ = try await service.setArchived(viewer: f.admin, id: UUID(uuidString: conversationId)!, archived: true)
        #expect(try await service.refreshSlackParent(conversationId: UUID(uuidString: conversationId)!))
        let update = try await slack.waitForCalls("chat.update", count: 1)[0]
        #expect(update.string("ts") == threadTs && update.string("channel") == Self.channel)
        let updated = update.object
        #expect(updated.string("blocks.1.elements.0.text") == "2 unread messages · Archived")
        #expect(updated.array("blocks.2.elements").map { $0.string("action_id") } == ["mark_read", "unarchive", "view"])
        #expect(slack.calls("chat.postMessage").count == 4)
        try await relay.stop()
    }

    @Test func rateLimitsAreHonouredAndInvalidBlocksAreGivenUp() async throws {
        let database = try TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try FakeSlack()
        defer { slack.stop() }
        slack.fail(.rateLimited(retryAfter: 1))
        let relay = try await TestRelay(database: database, environment: Self.environment(slack))
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "One"]).status == 201)
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Two"]).status == 201)
        let posts = try await slack.waitForCalls("chat.postMessage", count: 3)
        // The reply waited for its parent: the 429'd parent first, again after Retry-After, then the reply in its thread.
        #expect(posts[0].failed && !posts[1].failed)
        #expect(posts[1].receivedAt.timeIntervalSince(posts[0].receivedAt) >= 0.95)
        #expect(posts[0].string("thread_ts") == nil && posts[1].string("thread_ts") == nil)
        #expect(posts[2].string("thread_ts") == posts[1].answerTs)
        try await waitForEmptyOutbox(db)

        // invalid_blocks is given up with Slack's reason recorded; the next message still goes.
        slack.fail(.invalidBlocks())
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Three"]).status == 201)
        try await waitFor("the job to be given up") {
            try db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NOT NULL", as: Int.self) == 1
        }
        #expect(
            try db.scalar("SELECT last_error FROM notification_outbox WHERE failed_at IS NOT NULL", as: String.self)
                == "Slack answered invalid_blocks")
        #expect(try db.scalar("SELECT attempts FROM notification_outbox WHERE failed_at IS NOT NULL", as: Int.self) == 1)
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Four"]).status == 201)
        let after = try await slack.waitForCalls("chat.postMessage", count: 5)
        #expect(after[4].string("text") == "*Alice*\nFour")
        try await relay.stop()
    }

    @Test func hostileAnswersAreRetriedOrRefusedNeverStored() async throws {
        let database = try TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try FakeSlack()
        defer { slack.stop() }
        slack.fail(.serverError())
        slack.fail(.hugeBody())
        slack.fail(.notJSON)
        slack.fail(.hostileTs)
        let relay = try await TestRelay(database: database, environment: Self.environment(slack))
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Hi"]).status == 201)
        try await waitFor("the hostile ts to be refused") {
            try db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NOT NULL", as: Int.self) == 1
        }
        #expect(try db.scalar("SELECT last_error FROM notification_outbox", as: String.self) == "Slack answered ok without a usable ts")
        #expect(try db.scalar("SELECT attempts FROM notification_outbox", as: Int.self) == 4)
        #expect(try db.scalar("SELECT count(*) FROM slack_threads", as: Int.self) == 0)
        // The next message starts the thread properly.
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Again"]).status == 201)
        try await waitFor("the thread") { try db.scalar("SELECT count(*) FROM slack_threads", as: Int.self) == 1 }
        try await relay.stop()
    }

    @Test func msgctlSlackTestPostsToTheChannelAndReportsSlacksAnswer() async throws {
        let slack = try FakeSlack()
        defer { slack.stop() }
        let database = try TestDatabase.create()
        var environment: [String: String?] = ["DATABASE_URL": database.conninfo]
        for (key, value) in Self.environment(slack) { environment[key] = value }
        let ok = try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), ["slack", "test"], environment: environment)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout == "Slack accepted the test message in channel \(Self.channel)\n")
        #expect(slack.calls("chat.postMessage").first?.string("channel") == Self.channel)
        slack.fail(.error("channel_not_found"))
        let refused = try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), ["slack", "test"], environment: environment)
        #expect(refused.status == 75)
        #expect(refused.stderr.contains("channel_not_found"))
        #expect(refused.stderr.split(separator: "\n").count == 1)
    }

    @Test func withAppModeOffNothingIsQueuedForSlack() async throws {
        let database = try TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        #expect(try !db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self))
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Anyone?"]).status == 201)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)
        try await relay.stop()
    }
}
