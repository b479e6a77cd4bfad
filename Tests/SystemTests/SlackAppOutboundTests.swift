import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Slack app mode, outbound: every message of a conversation, whoever writes it and however, reaches one Slack
/// thread through the Web API, from the outbox. Real relays and PostgreSQL, msgctl as a process, a fake Slack.
@Suite(.needsProcesses, .processSlot) struct SlackAppOutboundTests {
    static let channel = "C0INBOX01"

    static func environment(_ slack: FakeSlack) -> [String: String?] {
        [
            "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-signing-secret", "SLACK_CHANNEL_ID": channel,
            "SLACK_TEAM_ID": "T0TEAM",
            "SLACK_API_BASE": slack.apiBase, "ADMIN_URL_BASE": "https://admin.example.org/", "OUTBOX_RETRY_BASE_SECONDS": "0.2",
        ]
    }

    /// A relay in app mode against a fake Slack that first fails as `failures` say, with the usual users.
    struct Desk {
        let database: TestDatabase
        let db: PostgresConnection
        let f: Fixtures
        let slack: FakeSlack
        let relay: TestRelay

        /// `failures` of posts only (`chat.postMessage`), unless `anyCall`.
        init(failing failures: [FakeSlack.Failure] = [], anyCall: Bool = false) async throws {
            database = try await TestDatabase.create()
            db = try database.connect()
            f = try Fixtures.make(db)
            slack = try FakeSlack()
            for failure in failures { slack.fail(failure, method: anyCall ? nil : "chat.postMessage") }
            relay = try await TestRelay(database: database, environment: SlackAppOutboundTests.environment(slack))
        }

        /// Alice sends `content` over REST; the status.
        func aliceSends(_ content: String) async throws -> Int {
            try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": content]).status
        }

        /// Waits until `count` jobs were given up.
        func waitForGivenUp(_ count: Int) async throws {
            try await waitFor("\(count) job(s) to be given up") {
                try db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NOT NULL", as: Int.self) == count
            }
        }

        func stop() async throws {
            try await relay.stop()
            slack.stop()
        }
    }

    @Test func everyWriterReachesTheConversationsThread() async throws {
        let desk = try await Desk()
        let (database, db, f, slack, relay) = (desk.database, desk.db, desk.f, desk.slack, desk.relay)
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
        #expect(body.string("blocks.1.elements.0.text") == "1 unread message")
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
        try await slack.waitForCalls("chat.postMessage", count: 4)
        let adminSocket = try relay.socket(f.admin)
        _ = try await adminSocket.next(type: "connected")
        try adminSocket.send(["type": "send_message", "data": ["conversation_id": conversationId, "content": "From a socket"]])
        let posts = try await slack.waitForCalls("chat.postMessage", count: 5)
        #expect(posts.count == 5)
        #expect(posts[1...].map { $0.string("thread_ts") } == [threadTs, threadTs, threadTs, threadTs])
        #expect(posts[1...].allSatisfy { $0.string("channel") == Self.channel })
        #expect(posts[1].string("text") == "*Alice*\n> Second")
        #expect(posts[2].string("text") == "*Admin* (admin)\nFrom REST")
        #expect(posts[3].string("text") == "*Admin* (admin)\nFrom msgctl")
        #expect(posts[4].string("text") == "*Admin* (admin)\nFrom a socket")
        try await db.waitForEmptyOutbox()
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

        // The parent is rewritten with the conversation's state: after a user's reply (the unread count), when the
        // conversation is archived or read by an admin, and when asked.
        let id = try #require(UUID(uuidString: conversationId))
        try await db.waitForEmptyOutbox()
        let updates = slack.calls("chat.update")
        #expect(updates.count >= 1)
        #expect(updates.allSatisfy { $0.string("ts") == threadTs && $0.string("channel") == Self.channel })
        #expect(updates.last?.object.string("blocks.1.elements.0.text") == "2 unread messages")
        _ = try await service.setArchived(viewer: f.admin, id: id, archived: true)
        let archived = try await slack.waitForCalls("chat.update", count: updates.count + 1)[updates.count].object
        #expect(archived.string("blocks.1.elements.0.text") == "2 unread messages · Archived")
        #expect(archived.array("blocks.2.elements").map { $0.string("action_id") } == ["mark_read", "unarchive", "view"])
        #expect(archived.string("blocks.0.text.text") == "*Alice*\nHello &lt;!channel&gt; &amp; co")
        try await db.waitForEmptyOutbox()
        // Read over a socket (`mark_read`), as through REST.
        let unread = try db.query(
            "SELECT id::text FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND read_at IS NULL ORDER BY id LIMIT 1", [id, f.alice.id]
        )[0].decode(0, as: String.self)
        try adminSocket.send(["type": "mark_read", "data": ["message_ids": [unread]]])
        let readOne = try await slack.waitForCalls("chat.update", count: updates.count + 2)[updates.count + 1]
        #expect(readOne.object.string("blocks.1.elements.0.text") == "1 unread message · Archived")
        try await db.waitForEmptyOutbox()
        _ = try await service.bulkRead(viewer: f.admin, conversationId: id, messageIds: nil)
        let read = try await slack.waitForCalls("chat.update", count: updates.count + 3)[updates.count + 2]
        #expect(read.object.string("blocks.1.elements.0.text") == "No unread messages · Archived")
        try await db.waitForEmptyOutbox()
        #expect(try await service.refreshSlackParent(conversationId: id))
        let refreshed = try await slack.waitForCalls("chat.update", count: updates.count + 4)[updates.count + 3]
        #expect(refreshed.string("ts") == threadTs)
        #expect(slack.calls("chat.postMessage").count == 5)
        // Without a thread there is nothing to update; an unknown conversation is an error.
        let bobs = try await service.createConversation(viewer: f.bob, initialMessage: nil).conversation.id
        #expect(try await !service.refreshSlackParent(conversationId: bobs))
        await #expect(throws: ServiceError.self) { try await service.refreshSlackParent(conversationId: UUID()) }
        try await desk.stop()
    }

    /// A post Slack made whose answer was lost is found again by its metadata when it is tried again: neither the
    /// thread's first message nor a reply is posted twice, and the thread is the one Slack shows.
    @Test func aPostWhoseAnswerWasLostIsNotPostedTwice() async throws {
        let desk = try await Desk(failing: [.answerLost])
        let (db, f, slack) = (desk.db, desk.f, desk.slack)
        func message(_ content: String) throws -> UUID {
            try db.scalar("SELECT id FROM messages WHERE content = $1", [content], as: UUID.self)
        }
        #expect(try await desk.aliceSends("First") == 201)
        let history = try await slack.waitForCalls("conversations.history", count: 1)[0]
        #expect(history.form["channel"] == Self.channel && history.form["include_all_metadata"] == "true")
        #expect(history.header("Authorization") == "Bearer xoxb-test-token")
        try await db.waitForEmptyOutbox()
        var posts = slack.calls("chat.postMessage")
        #expect(posts.count == 1)
        let first = try message("First")
        #expect(posts[0].object.string("metadata.event_payload.message_id") == first.lowercasedString)
        let conversationId = try db.scalar("SELECT conversation_id FROM messages WHERE id = $1", [first], as: UUID.self)
        let thread = try #require(try SlackThreadRepository.thread(db, conversationId: conversationId))
        #expect(thread.threadTs == posts[0].answerTs && thread.channelId == Self.channel)
        #expect(try SlackPostRepository.post(db, messageId: first)?.ts == posts[0].answerTs)

        // A reply: found among the thread's replies.
        slack.fail(.answerLost)
        #expect(try await desk.aliceSends("Second") == 201)
        let replies = try await slack.waitForCalls("conversations.replies", count: 1)[0]
        #expect(replies.form["ts"] == thread.threadTs && replies.form["channel"] == Self.channel)
        try await db.waitForEmptyOutbox()
        posts = slack.calls("chat.postMessage")
        #expect(posts.count == 2)
        #expect(posts[1].string("thread_ts") == thread.threadTs)
        #expect(try SlackPostRepository.post(db, messageId: message("Second"))?.ts == posts[1].answerTs)

        // Slack cannot answer the lookup now: nothing is posted until it can, then the post is found.
        slack.fail(.answerLost)
        slack.fail(.serverError(status: 503))
        #expect(try await desk.aliceSends("Third") == 201)
        try await slack.waitForCalls("conversations.replies", count: 3)
        try await db.waitForEmptyOutbox()
        posts = slack.calls("chat.postMessage")
        #expect(posts.count == 3)
        #expect(try SlackPostRepository.post(db, messageId: message("Third"))?.ts == posts[2].answerTs)

        // Slack refuses the lookup (the history scope is missing): posted again, as it must be to be seen at all.
        slack.fail(.answerLost)
        slack.fail(.error("missing_scope"))
        #expect(try await desk.aliceSends("Fourth") == 201)
        try await db.waitForEmptyOutbox()
        posts = slack.calls("chat.postMessage")
        #expect(posts.count == 5)
        #expect(try SlackPostRepository.post(db, messageId: message("Fourth"))?.ts == posts[4].answerTs)
        try await desk.stop()
    }

    /// A user made admin still writes to the admins in their conversation: their message there raises the unread count
    /// the thread's parent shows, which is rewritten.
    @Test func aUserMadeAdminsMessageInTheirConversationRefreshesTheParent() async throws {
        let desk = try await Desk()
        let (database, db, f, slack) = (desk.database, desk.db, desk.f, desk.slack)
        #expect(try await desk.aliceSends("First") == 201)
        try await db.waitForEmptyOutbox()
        let conversationId = try db.scalar("SELECT conversation_id FROM messages WHERE content = 'First'", as: UUID.self)
        try db.query("UPDATE users SET is_admin = true WHERE id = $1", [f.alice.id])
        let alice = try #require(try UserRepository.find(db, id: f.alice.id))
        let updates = slack.calls("chat.update").count
        _ = try await MessagingService(pool: database.pool(size: 1)).sendMessage(viewer: alice, conversationId: conversationId, content: "Still me")
        let refreshed = try await slack.waitForCalls("chat.update", count: updates + 1)[updates]
        #expect(refreshed.object.string("blocks.1.elements.0.text") == "2 unread messages")
        try await desk.stop()
    }

    /// A lost post in a thread of long messages: Slack's page of replies is more than the 2 MiB read, so it is read
    /// again in smaller pages, and the post is found there rather than made twice.
    @Test func aLostPostAmongLongMessagesIsFoundInSmallerPages() async throws {
        let desk = try await Desk()
        let (database, db, f, slack) = (desk.database, desk.db, desk.f, desk.slack)
        #expect(try await desk.aliceSends("First") == 201)
        try await db.waitForEmptyOutbox()
        let conversationId = try db.scalar("SELECT conversation_id FROM messages WHERE content = 'First'", as: UUID.self)
        // 60 replies of 10,000 emoji (some 50 KB each in Slack's answer, text and blocks): about 3 MB in one page of 100.
        let service = MessagingService(pool: database.pool(size: 1))
        let long = String(repeating: "\u{1F600}", count: 10_000)
        for _ in 0..<60 { _ = try await service.sendMessage(viewer: f.admin, conversationId: conversationId, content: long) }
        try await db.waitForEmptyOutbox(timeout: 60)
        #expect(slack.calls("chat.postMessage").count == 61)

        // Lookups before (a post answered late on a loaded machine is looked for too) are not this one's.
        let lookedUpBefore = slack.calls("conversations.replies").count
        slack.fail(.answerLost, method: "chat.postMessage")
        #expect(try await desk.aliceSends("Last") == 201)
        try await db.waitForEmptyOutbox(timeout: 60)
        // Pages of 100 first, then of 10 (a lookup that failed on a loaded machine, its answer too slow, starts again
        // with 100).
        let limits = slack.calls("conversations.replies").dropFirst(lookedUpBefore).map { $0.form["limit"] }
        #expect(limits.first == "100" && limits.contains("10") && limits.allSatisfy { $0 == "100" || $0 == "10" }, "\(limits)")
        #expect(slack.calls("chat.postMessage").count == 62)
        let last = try db.scalar("SELECT id FROM messages WHERE content = 'Last'", as: UUID.self)
        #expect(try SlackPostRepository.post(db, messageId: last)?.ts == slack.calls("chat.postMessage")[61].answerTs)
        try await desk.stop()
    }

    /// A relay killed while Slack makes its post (the round that claimed the job never commits, no attempt is
    /// recorded): the relay that takes the job over looks for the post first, finds it, and does not post it again
    /// (a second thread, which the conversation would follow, leaving replies in the first unheard).
    @Test func aPostWhoseRoundDiedIsLookedForBeforeItIsPostedAgain() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try FakeSlack()
        slack.fail(.answeredLate(delay: .seconds(8)), method: "chat.postMessage")
        let first = try await TestRelay(database: database, environment: Self.environment(slack))
        #expect(try await first.request("POST", "/api/messages", token: first.token(f.alice), json: ["content": "First"]).status == 201)
        let posted = try await slack.waitForCalls("chat.postMessage", count: 1)[0]
        #expect(try db.scalar("SELECT count(*) FROM outbox_sends_begun", as: Int.self) == 1)
        try await first.process.stop(signal: SIGKILL)
        #expect(try db.scalar("SELECT attempts FROM notification_outbox WHERE kind = 'slack_post'", as: Int.self) == 0)

        let second = try await TestRelay(database: database, environment: Self.environment(slack))
        try await db.waitForEmptyOutbox()
        #expect(slack.calls("chat.postMessage").count == 1)
        #expect(slack.calls("conversations.history").count >= 1)
        let message = try db.scalar("SELECT id FROM messages WHERE content = 'First'", as: UUID.self)
        let conversationId = try db.scalar("SELECT conversation_id FROM messages WHERE id = $1", [message], as: UUID.self)
        #expect(try SlackThreadRepository.thread(db, conversationId: conversationId)?.threadTs == posted.answerTs)
        #expect(try SlackPostRepository.post(db, messageId: message)?.ts == posted.answerTs)
        // The mark goes with its job.
        #expect(try db.scalar("SELECT count(*) FROM outbox_sends_begun", as: Int.self) == 0)
        try await second.stop()
        slack.stop()
    }

    /// The thread's parent follows deletions and edits: a user's unread message deleted lowers its count, and the
    /// conversation's first message edited changes its preview.
    @Test func theParentFollowsDeletionsAndEdits() async throws {
        let desk = try await Desk()
        let (db, f, slack, relay) = (desk.db, desk.f, desk.slack, desk.relay)
        #expect(try await desk.aliceSends("First") == 201)
        try await db.waitForEmptyOutbox()
        #expect(try await desk.aliceSends("Second") == 201)
        try await db.waitForEmptyOutbox()
        let before = slack.calls("chat.update").count
        let (first, second) = (
            try db.scalar("SELECT id FROM messages WHERE content = 'First'", as: UUID.self),
            try db.scalar("SELECT id FROM messages WHERE content = 'Second'", as: UUID.self)
        )
        #expect(try await relay.request("DELETE", "/api/messages/\(second)", token: relay.token(f.alice)).status == 204)
        let deleted = try await slack.waitForCalls("chat.update", count: before + 1)[before]
        #expect(deleted.object.string("blocks.1.elements.0.text") == "1 unread message", "\(deleted.request.bodyText)")
        try await db.waitForEmptyOutbox()
        let edit = try await relay.request("PATCH", "/api/messages/\(first)", token: relay.token(f.alice), json: ["content": "First, edited"])
        #expect(edit.status == 200)
        let edited = try await slack.waitForCalls("chat.update", count: before + 2)[before + 1]
        #expect(edited.object.string("blocks.0.text.text") == "*Alice*\nFirst, edited", "\(edited.request.bodyText)")
        try await desk.stop()
    }

    /// A reply tried again is posted as its message stands when it leaves: edited while the relay looked for an earlier
    /// post (Slack slow to answer), it is posted edited; deleted meanwhile, it is not posted.
    @Test func aReplyPostedAfterALookupSaysWhatItsMessageSaysThen() async throws {
        let desk = try await Desk()
        let (db, f, slack, relay) = (desk.db, desk.f, desk.slack, desk.relay)
        #expect(try await desk.aliceSends("First") == 201)
        try await db.waitForEmptyOutbox()
        for (content, change) in [("Second", "edit"), ("Third", "delete")] {
            slack.fail(.serverError(status: 503), method: "chat.postMessage")
            slack.fail(.slow(delay: .seconds(3)), method: "conversations.replies")
            #expect(try await desk.aliceSends(content) == 201)
            let id = try db.scalar("SELECT id FROM messages WHERE content = $1", [content], as: UUID.self)
            let lookups = slack.calls("conversations.replies").count
            do {
                try await slack.waitForCalls("conversations.replies", count: lookups + 1, timeout: .seconds(30))
            } catch {
                let jobs = try? db.query(
                    "SELECT id || ' ' || kind || ' attempts ' || attempts || ' due in ' || (available_at - now()) || ' ' || coalesce(last_error, '') FROM notification_outbox ORDER BY id"
                ).map { try $0.decode(0, as: String.self) }
                Issue.record("jobs: \(jobs ?? [])\nthe relay's log: \(relay.process.text.suffix(6000))")
                throw error
            }
            let answer =
                change == "edit"
                ? try await relay.request("PATCH", "/api/messages/\(id)", token: relay.token(f.alice), json: ["content": "\(content), edited"])
                : try await relay.request("DELETE", "/api/messages/\(id)", token: relay.token(f.alice))
            #expect(answer.status == (change == "edit" ? 200 : 204))
            try await db.waitForEmptyOutbox()
        }
        let posted = slack.calls("chat.postMessage").filter { $0.string("thread_ts") != nil && !$0.failed }.map(\.request.bodyText)
        #expect(posted.count == 1, "\(posted)")
        #expect(posted.first?.contains("Second, edited") == true, "\(posted)")
        #expect(!posted.contains { $0.contains("Third") })
        try await desk.stop()
    }

    @Test func rateLimitsAreHonouredAndInvalidBlocksAreGivenUp() async throws {
        let desk = try await Desk(failing: [.rateLimited(retryAfter: 1)])
        #expect(try await desk.aliceSends("One") == 201)
        #expect(try await desk.aliceSends("Two") == 201)
        let posts = try await desk.slack.waitForCalls("chat.postMessage", count: 3)
        // The reply waited for its parent: the 429'd parent first, again after Retry-After, then the reply in its thread.
        #expect(posts[0].failed && !posts[1].failed)
        #expect(posts[1].receivedAt.timeIntervalSince(posts[0].receivedAt) >= 0.95)
        #expect(posts[0].string("thread_ts") == nil && posts[1].string("thread_ts") == nil)
        #expect(posts[2].string("thread_ts") == posts[1].answerTs)
        try await desk.db.waitForEmptyOutbox()

        // invalid_blocks is given up with Slack's reason recorded; the next message still goes.
        desk.slack.fail(.invalidBlocks())
        #expect(try await desk.aliceSends("Three") == 201)
        try await desk.waitForGivenUp(1)
        let failed = "FROM notification_outbox WHERE failed_at IS NOT NULL"
        #expect(try desk.db.scalar("SELECT last_error \(failed)", as: String.self) == "Slack answered invalid_blocks")
        #expect(try desk.db.scalar("SELECT attempts \(failed)", as: Int.self) == 1)
        #expect(try await desk.aliceSends("Four") == 201)
        let after = try await desk.slack.waitForCalls("chat.postMessage", count: 5)
        #expect(after[4].string("text") == "*Alice*\n> Four")
        try await desk.stop()
    }

    /// Slack limits a method as a whole: a 429's `Retry-After` holds every post, another conversation's too, queued
    /// after it, until it has passed.
    @Test func aRetryAfterHoldsEveryPostNotOnlyItsOwn() async throws {
        let desk = try await Desk(failing: [.rateLimited(retryAfter: 3)])
        #expect(try await desk.aliceSends("One") == 201)
        let refused = try await desk.slack.waitForCalls("chat.postMessage", count: 1)[0]
        #expect(refused.failed)
        try await waitFor("the 429 to be recorded") {
            try desk.db.scalar("SELECT count(*) FROM notification_outbox WHERE attempts = 1", as: Int.self) == 1
        }
        #expect(try await desk.relay.request("POST", "/api/messages", token: desk.relay.token(desk.f.bob), json: ["content": "Two"]).status == 201)
        let posts = try await desk.slack.waitForCalls("chat.postMessage", count: 3)
        for post in posts.dropFirst() {
            #expect(!post.failed)
            #expect(
                post.receivedAt.timeIntervalSince(refused.receivedAt) >= 2.95,
                "a post left \(post.receivedAt.timeIntervalSince(refused.receivedAt)) s after the 429")
        }
        #expect(Set(posts.dropFirst().compactMap { $0.string("text") }).count == 2)
        try await desk.db.waitForEmptyOutbox()
        #expect(desk.slack.calls("chat.postMessage").count == 3)
        #expect(try desk.db.scalar("SELECT count(*) FROM outbox_holds WHERE until > now()", as: Int.self) == 0)
        try await desk.stop()
    }

    @Test func hostileAnswersAreRetriedOrRefusedNeverStored() async throws {
        let desk = try await Desk(failing: [.serverError(), .hugeBody(), .notJSON, .hostileTs])
        #expect(try await desk.aliceSends("Hi") == 201)
        try await desk.waitForGivenUp(1)
        #expect(try desk.db.scalar("SELECT last_error FROM notification_outbox", as: String.self) == "Slack answered ok without a usable ts")
        #expect(try desk.db.scalar("SELECT attempts FROM notification_outbox", as: Int.self) == 4)
        #expect(try desk.db.scalar("SELECT count(*) FROM slack_threads", as: Int.self) == 0)
        // The next message starts the thread properly.
        #expect(try await desk.aliceSends("Again") == 201)
        try await waitFor("the thread") { try desk.db.scalar("SELECT count(*) FROM slack_threads", as: Int.self) == 1 }
        try await desk.stop()
    }

    /// Slack's answer to a post repeats the message (its text and its blocks, every character beyond ASCII written as
    /// `\uXXXX`): for a long message of emoji, over 64 KiB. It is read, and the post is not sent again.
    @Test func aLongMessagesPostIsSentOnce() async throws {
        let desk = try await Desk()
        #expect(try await desk.aliceSends("Hi") == 201)
        try await waitFor("the thread") { try desk.db.scalar("SELECT count(*) FROM slack_threads", as: Int.self) == 1 }
        // A thread reply carries the whole message: 20,000 UTF-16 units, each written as 6 bytes, twice in the answer.
        #expect(try await desk.aliceSends(String(repeating: "😀", count: 10_000)) == 201)
        try await waitFor("the reply sent") { try desk.db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0 }
        let posts = desk.slack.calls("chat.postMessage")
        #expect(posts.count == 2)
        #expect(posts.last.map { $0.string("text")?.contains(String(repeating: "😀", count: 10_000)) ?? false } == true)
        try await desk.stop()
    }

    /// While one relay's round waits on Slack with the due jobs locked, another relay's worker waits too (it used to
    /// claim nothing, see the jobs due, and go round again at once: a core and the database busy for the whole round).
    @Test func jobsAnotherRelayIsSendingAreNotPolledForInALoop() async throws {
        let desk = try await Desk(failing: [.slow(delay: .seconds(6))])
        let other = try await TestRelay(database: desk.database, environment: SlackAppOutboundTests.environment(desk.slack))
        #expect(try await desk.aliceSends("Hi") == 201)
        _ = try await desk.slack.waitForCalls("chat.postMessage", count: 1)
        let commits = "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        _ = try desk.db.query("SELECT pg_stat_clear_snapshot()")
        let before = try desk.db.scalar(commits, as: Int.self)
        try await Task.sleep(for: .seconds(3))
        _ = try desk.db.query("SELECT pg_stat_clear_snapshot()")
        let during = try desk.db.scalar(commits, as: Int.self) - before
        #expect(during < 300, "\(during) transactions in 3 s while a round waited on Slack")
        try await other.stop()
        try await desk.stop()
    }

    /// A new install moves app mode to another channel (forgetting the old channel's threads) while a round posts a
    /// conversation's first message to the old one: the thread is not recorded in the old channel afterwards.
    @Test func aThreadPostedWhileTheChannelChangesIsNotKept() async throws {
        let desk = try await Desk()
        let change = try desk.database.connect()
        try change.execute("BEGIN")
        try change.query("UPDATE slack_settings SET channel_id = 'C0NEWCHAN'")
        try change.query("DELETE FROM slack_threads WHERE channel_id <> 'C0NEWCHAN'")
        #expect(try await desk.aliceSends("Hi") == 201)
        _ = try await desk.slack.waitForCalls("chat.postMessage", count: 1)
        try await waitFor("the round to record the thread, or to wait for the change") {
            try desk.db.lockWaiters()
                == 1 || desk.db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0
        }
        try change.execute("COMMIT")
        try await desk.db.waitForEmptyOutbox()
        #expect(try desk.db.scalar("SELECT count(*) FROM slack_threads WHERE channel_id = $1", [Self.channel], as: Int.self) == 0)
        change.close()
        try await desk.stop()
    }

    @Test func msgctlSlackTestPostsToTheChannelAndReportsSlacksAnswer() async throws {
        let slack = try FakeSlack()
        defer { slack.stop() }
        let database = try await TestDatabase.create()
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
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        #expect(try !db.scalar("SELECT app_mode FROM slack_settings", as: Bool.self))
        #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Anyone?"]).status == 201)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)
        try await relay.stop()
    }
}
