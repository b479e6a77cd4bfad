import Foundation
import MsgLib
import TestSupport
import Testing

/// Emoji reactions through REST, the WebSocket and msgctl, across relays, after a resume, under the rules and the race.
@Suite(.needsProcesses, .processSlot) struct ReactionTests {
    static let unlimited: [String: String?] = [
        "MESSAGE_RATE_LIMIT_PER_MINUTE": "0", "MESSAGE_RATE_LIMIT_PER_HOUR": "0", "MESSAGE_RATE_LIMIT_PER_DAY": "0",
        "REACTION_RATE_LIMIT_PER_MINUTE": "0",
    ]

    /// The REST path of a reaction, the emoji percent-encoded.
    static func path(_ messageId: String, _ emoji: String) -> String {
        "/api/messages/\(messageId)/reactions/" + emoji.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// `[emoji: count]` of a `reactions` list.
    static func counts(_ reactions: Any?) -> [String: Int] {
        var out: [String: Int] = [:]
        for item in (reactions as? [[String: Any]]) ?? [] {
            if let emoji = item["emoji"] as? String, let count = item["count"] as? Int { out[emoji] = count }
        }
        return out
    }

    /// Per message, the counts of the last frame about it (`message` or `reaction_changed`) a socket got.
    static func state(_ socket: TestSocket) -> [String: [String: Int]] {
        var state: [String: [String: Int]] = [:]
        for frame in socket.received {
            if frame.type == "message", let id = frame.data["id"] as? String { state[id] = counts(frame.data["reactions"]) }
            if frame.type == "reaction_changed", let id = frame.data["message_id"] as? String { state[id] = counts(frame.data["reactions"]) }
        }
        return state
    }

    /// The next `reaction_changed` frame about `emoji` that says `count`.
    static func change(_ socket: TestSocket, _ emoji: String, count: Int) async throws -> TestSocket.Frame {
        try await socket.next { $0.type == "reaction_changed" && $0.data["emoji"] as? String == emoji && $0.data["count"] as? Int == count }
    }

    @Test func reactionsTravelThroughRESTSocketsAndMsgctlAcrossRelays() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let one = try await TestRelay(database: database, environment: Self.unlimited)
        let two = try await TestRelay(database: database, environment: Self.unlimited)
        let alice = try one.socket(f.alice)
        let admin = try two.socket(f.admin)
        _ = try await alice.next(type: "connected")
        _ = try await admin.next(type: "connected")
        let sent = try await one.request("POST", "/api/messages", token: one.token(f.alice), json: ["content": "Thanks!"])
        let messageId = try #require(sent.object.string("id"))
        let conversationId = try #require(sent.object.string("conversation_id"))
        _ = try await admin.next(type: "message")

        // REST on relay one: the answer is the message's reactions as Alice sees them.
        let put = try await one.request("PUT", Self.path(messageId, "👍"), token: one.token(f.alice))
        #expect(put.status == 200, "\(put.text)")
        #expect(put.object.string("message_id") == messageId)
        #expect(put.object.array("reactions").first?["emoji"] as? String == "👍")
        #expect(put.object.array("reactions").first?["reacted_by_me"] as? Bool == true)
        #expect(put.object.array("reactions").first?["users"] == nil)
        // The admin on relay two hears it, with who reacted.
        let seen = try await Self.change(admin, "👍", count: 1)
        #expect(seen.data["message_id"] as? String == messageId)
        #expect(seen.data["conversation_id"] as? String == conversationId)
        #expect(seen.data["user_id"] as? String == f.alice.id.lowercasedString)
        #expect(seen.data["added"] as? Bool == true)
        #expect((seen.data["reactions"] as? [[String: Any]])?.first?["users"] as? [String] == [f.alice.id.lowercasedString])
        #expect((seen.data["reactions"] as? [[String: Any]])?.first?["reacted_by_me"] as? Bool == false)
        _ = try await Self.change(alice, "👍", count: 1)

        // A frame on relay two, to Alice on relay one.
        try admin.send(["type": "add_reaction", "data": ["message_id": messageId, "emoji": "❤️"]])
        let heart = try await Self.change(alice, "❤️", count: 1)
        #expect(heart.data["user_id"] as? String == f.admin.id.lowercasedString)
        #expect(Self.counts(heart.data["reactions"]) == ["👍": 1, "❤️": 1])

        // msgctl, as the admin, straight into the database: both relays deliver.
        let env: [String: String?] = ["DATABASE_URL": database.conninfo]
        let react = try await ProcessRunner.ours("msgctl", ["react", messageId, "👍"], environment: env)
        #expect(react.status == 0, "\(react.stderr)")
        #expect(react.stdout.contains("added 👍"))
        #expect(react.stdout.contains("[reactions] 👍 2  ❤️ 1"))
        let twice = try await Self.change(alice, "👍", count: 2)
        #expect(twice.data["user_id"] as? String == f.admin.id.lowercasedString)
        _ = try await Self.change(admin, "👍", count: 2)

        // Lists carry them: Alice sees whether she reacted, the admin also who did.
        let asAlice = try await one.request("GET", "/api/conversations/\(conversationId)/messages", token: one.token(f.alice))
        let mine = asAlice.object.array("messages").first { $0["id"] as? String == messageId }
        #expect(Self.counts(mine?["reactions"]) == ["👍": 2, "❤️": 1])
        #expect((mine?["reactions"] as? [[String: Any]])?.map { $0["reacted_by_me"] as? Bool } == [true, false])
        let asAdmin = try await two.request("GET", "/api/conversations/\(conversationId)/messages", token: two.token(f.admin))
        let theirs = asAdmin.object.array("messages").first { $0["id"] as? String == messageId }
        #expect(
            (theirs?["reactions"] as? [[String: Any]])?.first?["users"] as? [String] == [f.alice.id.lowercasedString, f.admin.id.lowercasedString])
        let show = try await ProcessRunner.ours("msgctl", ["show", "alice"], environment: env)
        #expect(show.stdout.contains("[reactions] 👍 2  ❤️ 1"), "\(show.stdout)")
        let json = try await ProcessRunner.ours("msgctl", ["show", "alice", "--json"], environment: env)
        #expect(json.stdout.contains("\"reacted_by_me\""))

        // Removing, three ways.
        let removed = try await ProcessRunner.ours("msgctl", ["react", messageId, "👍", "--remove"], environment: env)
        #expect(removed.status == 0 && removed.stdout.contains("removed 👍"), "\(removed.stderr)")
        let back = try await Self.change(alice, "👍", count: 1)
        #expect(back.data["added"] as? Bool == false)
        try admin.send(["type": "remove_reaction", "data": ["message_id": messageId, "emoji": "❤️"]])
        _ = try await Self.change(alice, "❤️", count: 0)
        let delete = try await one.request("DELETE", Self.path(messageId, "👍"), token: one.token(f.alice))
        #expect(delete.status == 200 && delete.object.array("reactions").isEmpty, "\(delete.text)")
        let none = try await Self.change(admin, "👍", count: 0)
        #expect((none.data["reactions"] as? [[String: Any]])?.isEmpty == true)
        try await one.stop()
        try await two.stop()
    }

    @Test func aClientBackFromOfflineGetsTheCurrentCounts() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: Self.unlimited)
        let other = try await TestRelay(database: database, environment: Self.unlimited)
        let pool = database.pool(size: 2)
        let service = MessagingService(pool: pool)
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")
        let first = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "first")
        let delivered = try await socket.next(type: "message")
        let cursor = try #require(delivered.data["cursor"] as? String)
        _ = try await service.react(viewer: f.admin, messageId: first.id, emoji: "🎉", add: true)
        _ = try await Self.change(socket, "🎉", count: 1)
        try socket.sendClose()

        // While Alice is away: reactions come and go, a new message gets one, an untouched message stays untouched.
        _ = try await service.react(viewer: f.admin, messageId: first.id, emoji: "👍", add: true)
        _ = try await service.react(viewer: f.admin, messageId: first.id, emoji: "❤️", add: true)
        _ = try await service.react(viewer: f.admin, messageId: first.id, emoji: "❤️", add: false)
        _ = try await service.react(viewer: f.admin, messageId: first.id, emoji: "🎉", add: false)
        let second = try await service.sendMessage(viewer: f.admin, conversationId: first.conversationId, content: "second")
        _ = try await service.react(viewer: f.admin, messageId: second.id, emoji: "🙏", add: true)

        // Back, on the other relay: each frame applied in order leaves exactly what the database holds.
        let back = try other.socket(f.alice, query: "cursor=\(cursor)")
        let replayed = try await back.next(type: "replayed")
        // (What that relay had not swept yet when the socket joined comes live right after the replay.)
        let expected = [first.id.lowercasedString: ["👍": 1], second.id.lowercasedString: ["🙏": 1]]
        try await waitFor("the current counts on the socket, got \(Self.state(back))") { Self.state(back) == expected }
        #expect(back.all(type: "message").count == 1)

        // Live again. A resume from the last cursor this socket got (the replay's, or that of `second` when it came
        // live, after the replay) repeats no message, and each reaction frame it sends says what stands.
        _ = try await service.react(viewer: f.admin, messageId: second.id, emoji: "🙏", add: false)
        _ = try await Self.change(back, "🙏", count: 0)
        let messages = back.all(type: "message")
        let live = messages.count > (replayed.data["count"] as? Int ?? 0)
        let last = try #require(live ? messages.last?.data["cursor"] as? String : replayed.data["cursor"] as? String)
        let again = try relay.socket(f.alice, query: "cursor=\(last)")
        let nothing = try await again.next(type: "replayed")
        #expect(nothing.data["count"] as? Int == 0)
        let now = [first.id.lowercasedString: ["👍": 1], second.id.lowercasedString: [String: Int]()]
        for change in again.all(type: "reaction_changed") {
            #expect(Self.counts(change.data["reactions"]) == now[change.data["message_id"] as? String ?? ""])
        }
        await pool.shutdown()
        try await relay.stop()
        try await other.stop()
    }

    /// A client away through more reaction changes than one replay sends gets the first 5000 and a `truncated` replay
    /// without a cursor: it reloads through REST.
    @Test func aReplayOfTooManyReactionChangesSaysTruncated() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        // The messages are there before the relay starts (its feed begins after them).
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, 'm' || g FROM generate_series(1, 5001) g",
            [conversation.id, f.admin.id])
        let relay = try await TestRelay(database: database, environment: Self.unlimited)
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")
        // A cursor with an empty batch from before the changes (any socket's `replayed` one: cursors name commits, not
        // users; Alice's own replay of 5001 unread messages is cut short and has none).
        let early = try relay.socket(f.admin)
        let joined = try #require(try await early.next(type: "replayed").data["cursor"] as? String)
        let pool = database.pool(size: 1)
        let last = try await MessagingService(pool: pool).sendMessage(viewer: f.admin, conversationId: conversation.id, content: "last")
        let cursor = try #require(
            try await socket.next { $0.type == "message" && $0.data["id"] as? String == last.id.lowercasedString }.data["cursor"] as? String)
        // One statement reacts to every message (as a bulk change by SQL would): 5002 changes after the cursor. Once the
        // relay's feed has delivered them live (the first one arrives), they are all behind where a new socket joins.
        try db.query(
            """
            WITH r AS (
                INSERT INTO message_reactions (message_id, emoji, user_id) SELECT id, '👍', $2 FROM messages WHERE conversation_id = $1
                RETURNING message_id
            )
            INSERT INTO message_reaction_changes (message_id, conversation_id, user_id, emoji, added) SELECT message_id, $1, $2, '👍', true FROM r
            """, [conversation.id, f.admin.id])
        _ = try await socket.next(timeout: 20) { $0.type == "reaction_changed" }
        try socket.sendClose()
        // Then two messages (seen live by a socket that joined after the reactions, so they are behind where the next
        // socket joins): a replay cut short by the reactions still brings the first.
        let probe = try relay.socket(f.admin)
        _ = try await probe.next(type: "replayed")
        let after = try await MessagingService(pool: pool).sendMessage(viewer: f.admin, conversationId: conversation.id, content: "after")
        _ = try await MessagingService(pool: pool).sendMessage(viewer: f.admin, conversationId: conversation.id, content: "after 2")
        _ = try await probe.next { $0.type == "message" && $0.data["content"] as? String == "after 2" }
        let back = try relay.socket(f.alice, query: "cursor=\(cursor)")
        let replayed = try await back.next(type: "replayed")
        #expect(replayed.data["truncated"] as? Bool == true)
        #expect(replayed.data["cursor"] is NSNull)
        #expect(back.received.prefix { $0.type != "replayed" }.count { $0.type == "reaction_changed" } == 5000)
        // A socket whose byte budget the 5000 frames exceed gets its messages and the reactions that fit beside them
        // in the replay's half of it, and its `replayed` (it was cut off as a slow reader, every time it came back).
        var small = Self.unlimited
        small["WS_MAX_QUEUED_BYTES"] = "262144"
        let tight = try await TestRelay(database: database, environment: small)
        let narrow = try tight.socket(f.alice, query: "cursor=\(cursor)")
        let narrowReplayed = try await narrow.next(type: "replayed")
        #expect(narrowReplayed.data["truncated"] as? Bool == true && narrowReplayed.data["cursor"] is NSNull)
        let replayedFrames = narrow.received.prefix { $0.type != "replayed" }.filter { $0.type == "reaction_changed" }
        #expect(replayedFrames.count > 100 && replayedFrames.count < 5000)
        #expect(replayedFrames.reduce(0) { $0 + $1.payload.count } <= 131_072)
        let replayedMessages = narrow.received.prefix { $0.type != "replayed" }.filter { $0.type == "message" }
        #expect(replayedMessages.compactMap { $0.data["content"] as? String } == ["after", "after 2"])
        // Reaction changes were left out: messages past the cursor's batch carry no cursor that would claim them.
        #expect(replayedMessages.allSatisfy { $0.data["cursor"] is NSNull })
        // From a cursor with an empty batch (the `replayed` frame's) there is nothing they could claim: they keep them.
        let fromJoin = try tight.socket(f.alice, query: "cursor=\(joined)")
        let joinReplayed = try await fromJoin.next(type: "replayed")
        #expect(joinReplayed.data["truncated"] as? Bool == true)
        let joinMessages = fromJoin.received.prefix { $0.type != "replayed" }.filter { $0.type == "message" }
        #expect(joinMessages.compactMap { $0.data["content"] as? String } == ["last", "after", "after 2"])
        #expect(joinMessages.allSatisfy { $0.data["cursor"] != nil })
        try narrow.send(.ping)
        _ = try await narrow.next(type: "pong")
        await pool.shutdown()
        try await relay.stop()
        try await tight.stop()
    }

    @Test func refusalsAreClearAndRepeatsChangeNothing() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        var env = Self.unlimited
        env["REACTION_RATE_LIMIT_PER_MINUTE"] = "4"
        let relay = try await TestRelay(database: database, environment: env)
        let service = MessagingService(pool: database.pool(size: 1))
        let message = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "hello")
        let id = message.id.lowercasedString
        let alice = relay.token(f.alice)

        for bad in ["👍👍", "ok", "1", "%00", "%1B%5B31m", String(repeating: "%F0%9F%91%8D", count: 40), "%C2%A9"] {
            let refused = try await relay.request("PUT", "/api/messages/\(id)/reactions/\(bad)", token: alice)
            #expect(refused.status == 400, "\(bad): \(refused.text)")
            #expect(refused.error == "A reaction must be a single emoji", "\(bad)")
        }
        let badId = try await relay.request("PUT", "/api/messages/nope/reactions/%F0%9F%91%8D", token: alice)
        #expect(badId.status == 400 && badId.error == "message id must be a UUID")
        let missing = try await relay.request("PUT", Self.path(UUID().uuidString.lowercased(), "👍"), token: alice)
        #expect(missing.status == 404 && missing.error == "Message not found")
        let bob = try await relay.request("PUT", Self.path(id, "👍"), token: relay.token(f.bob))
        #expect(bob.status == 403 && bob.error == "Not authorized to access this conversation")
        let anonymous = try await relay.request("PUT", Self.path(id, "👍"))
        #expect(anonymous.status == 401)

        // Twice the same, in any of its forms: one reaction, and only the first counts against the limit.
        for form in ["👍", "👍\u{FE0F}", "👍\u{FE0F}\u{FE0F}"] {
            let put = try await relay.request("PUT", Self.path(id, form), token: alice)
            #expect(put.status == 200 && Self.counts(put.object["reactions"]) == ["👍": 1], "\(put.text)")
        }
        for _ in 0..<2 {
            let delete = try await relay.request("DELETE", Self.path(id, "👍"), token: alice)
            #expect(delete.status == 200 && delete.object.array("reactions").isEmpty, "\(delete.text)")
        }
        _ = try await relay.request("PUT", Self.path(id, "😀"), token: alice)
        _ = try await relay.request("PUT", Self.path(id, "😁"), token: alice)
        let limited = try await relay.request("PUT", Self.path(id, "😂"), token: alice)
        #expect(limited.status == 429 && limited.error == "Rate limit exceeded: at most 4 reactions per minute", "\(limited.text)")
        #expect(limited.headers["retry-after"] != nil)

        // The 21st kind. Admins have no rate limit.
        let kinds = Array("🍏🍎🍐🍊🍋🍌🍉🍇🍓🫐🍈🍒🍑🥭🍍🥥🥝🍅").map(String.init)
        for kind in kinds { _ = try await service.react(viewer: f.admin, messageId: message.id, emoji: kind, add: true) }
        let twentyFirst = try await relay.request("PUT", Self.path(id, "🥑"), token: relay.token(f.admin))
        #expect(twentyFirst.status == 400 && twentyFirst.error == "A message may have at most 20 different reactions", "\(twentyFirst.text)")
        // One more person with an existing kind is fine.
        let existing = try await relay.request("PUT", Self.path(id, "😀"), token: relay.token(f.admin))
        #expect(existing.status == 200 && Self.counts(existing.object["reactions"])["😀"] == 2)

        // Over the socket: an error frame, the socket goes on.
        let socket = try relay.socket(f.admin)
        _ = try await socket.next(type: "connected")
        try socket.send(["type": "add_reaction", "data": ["message_id": id, "emoji": "two words"]])
        let error = try await socket.next(type: "error")
        #expect(error.data["code"] as? String == "invalid_request" && error.data["message"] as? String == "A reaction must be a single emoji")

        // A deleted message takes none.
        try await service.deleteMessage(viewer: f.admin, messageId: message.id)
        let gone = try await relay.request("PUT", Self.path(id, "😀"), token: relay.token(f.admin))
        #expect(gone.status == 404 && gone.error == "Message not found")
        let ctl = try await ProcessRunner.ours("msgctl", ["react", id, "😀"], environment: ["DATABASE_URL": database.conninfo])
        #expect(ctl.status == 67 && ctl.stderr.contains("Message not found"), "\(ctl.stderr)")
        let text = try await ProcessRunner.ours("msgctl", ["react", UUID().uuidString, "ok"], environment: ["DATABASE_URL": database.conninfo])
        #expect(text.status == 65 && text.stderr.contains("A reaction must be a single emoji"), "\(text.stderr)")
        try await relay.stop()
    }

    @Test func reactionsArePushedOnlyWithNotifyReactions() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let push = try RecordingHTTPServer()
        push.respond { _ in RecordingHTTPServer.Response(status: 201, headers: []) }
        let service = MessagingService(pool: database.pool(size: 1))
        let message = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "Order 1234 arrived")
        let aliceBrowser = PushBrowser(endpoint: push.url("/push/alice"))
        let adminBrowser = PushBrowser(endpoint: push.url("/push/admin"))
        var environment = PushEnvironment.variables
        for (key, value) in Self.unlimited { environment[key] = value }

        // Off by default: a reaction queues nothing.
        let quiet = try await TestRelay(database: database, environment: environment)
        #expect(try await quiet.request("POST", "/api/push/subscribe", token: quiet.token(f.alice), json: aliceBrowser.subscribeBody).status == 201)
        #expect(try await quiet.request("POST", "/api/push/subscribe", token: quiet.token(f.admin), json: adminBrowser.subscribeBody).status == 201)
        #expect(try await quiet.request("PUT", Self.path(message.id.lowercasedString, "👍"), token: quiet.token(f.admin)).status == 200)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)
        try await quiet.stop()

        environment["NOTIFY_REACTIONS"] = "1"
        let relay = try await TestRelay(database: database, environment: environment)
        // The admin's reaction goes to Alice, hers to the admins; a removal to nobody.
        #expect(try await relay.request("PUT", Self.path(message.id.lowercasedString, "🎉"), token: relay.token(f.admin)).status == 200)
        let toAlice = try await push.waitForRequests(count: 1)[0]
        #expect(toAlice.path == "/push/alice")
        let payload = try aliceBrowser.payload(of: toAlice)
        #expect(payload["title"] as? String == "New reaction")
        #expect(payload["body"] as? String == "Admin reacted 🎉 to: Order 1234 arrived")
        #expect((payload["data"] as? [String: Any])?["message_id"] as? String == message.id.lowercasedString)
        // Which reaction, so that a service worker shows a second one to the same message.
        let reaction = (payload["data"] as? [String: Any])?["reaction"] as? [String: Any]
        #expect(reaction?["emoji"] as? String == "🎉" && reaction?["user_id"] as? String == f.admin.id.lowercasedString)
        #expect(try await relay.request("DELETE", Self.path(message.id.lowercasedString, "🎉"), token: relay.token(f.admin)).status == 200)
        #expect(try await relay.request("PUT", Self.path(message.id.lowercasedString, "❤️"), token: relay.token(f.alice)).status == 200)
        let toAdmin = try await push.waitForRequests(count: 2)[1]
        #expect(toAdmin.path == "/push/admin")
        #expect(try adminBrowser.payload(of: toAdmin)["body"] as? String == "Alice reacted ❤️ to: Order 1234 arrived")
        try await db.waitForEmptyOutbox()
        #expect(push.requests.count == 2)
        try await relay.stop()
        // Added, taken back and added again before its push left (no relay runs meanwhile): one push is waiting.
        var notifying = NotificationConfiguration()
        notifying.notifyReactions = true
        let writer = MessagingService(pool: database.pool(size: 1), notifications: notifying)
        for add in [true, false, true] { _ = try await writer.react(viewer: f.alice, messageId: message.id, emoji: "🎈", add: add) }
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox WHERE reaction = '🎈'", as: Int.self) == 1)
        try db.query("DELETE FROM notification_outbox")
        // A reaction taken back before its push left (here the job waits while no relay runs): nothing is pushed.
        try db.query(
            """
            INSERT INTO notification_outbox (kind, message_id, subscription_id, reaction, reaction_added, reactor_id)
            SELECT 'push', $1, p.id, '🎈', true, $2 FROM push_subscriptions p WHERE p.user_id = $3
            """, [message.id, f.admin.id, f.alice.id])
        let again = try await TestRelay(database: database, environment: environment)
        try await db.waitForEmptyOutbox()
        #expect(push.requests.count == 2)
        try await again.stop()
        // msgctl reads the same setting: with it, the admin's reaction is queued for Alice as the relay queues it.
        for (notify, queued) in [("0", 0), ("1", 1)] {
            let react = try await ProcessRunner.ours(
                "msgctl", ["react", message.id.lowercasedString, notify == "1" ? "🎯" : "🎳"],
                environment: ["DATABASE_URL": database.conninfo, "NOTIFY_REACTIONS": notify])
            #expect(react.status == 0, "\(react.stderr)")
            #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == queued)
        }
        let queued = try db.scalar(
            "SELECT p.user_id FROM notification_outbox o JOIN push_subscriptions p ON p.id = o.subscription_id WHERE o.reaction = '🎯'",
            as: UUID.self)
        #expect(queued == f.alice.id)
        push.stop()
    }

    @Test func theConsoleShowsReactionsAndTheirLiveChanges() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let service = MessagingService(pool: database.pool(size: 1))
        let message = try await service.sendMessage(viewer: f.alice, conversationId: nil, content: "Is my order shipped?")
        _ = try await service.react(viewer: f.admin, messageId: message.id, emoji: "👀", add: true)
        let relay = try await TestRelay(database: database, environment: Self.unlimited)
        let alice = try relay.socket(f.alice)
        _ = try await alice.next(type: "connected")
        let home = NSTemporaryDirectory() + "msgctl-home-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let terminal = try TerminalSession(
            "\(TestEnvironment.binary("msgctl"))",
            environment: [
                "DATABASE_URL": database.conninfo, "JWT_SECRET": TestRelay.secret, "MSGRELAY_URL": "http://127.0.0.1:\(relay.port)",
                "XDG_DATA_HOME": home, "HOME": home, "NO_COLOR": "1",
            ])
        defer { terminal.stop() }
        var at = try await terminal.waitFor("connected to the relay")
        terminal.type("\\o alice\r")
        at = try await terminal.waitFor("alice: Is my order shipped?", after: at)
        at = try await terminal.waitFor("[reactions] 👀 1", after: at)
        // Alice reacts on her socket: the console says so, with the counts now.
        try alice.send(.reaction(messageId: message.id, emoji: "👍", add: true))
        at = try await terminal.waitFor("alice added 👍 to \(message.id.lowercasedString.prefix(8)): 👀 1  👍 1", after: at)
        terminal.type("\\q\r")
        try await waitFor("the console to exit") { !terminal.isRunning }
        try await relay.stop()
    }

    @Test func twoConcurrentTwentyFirstKindsCannotBothPass() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let pool = database.pool(size: 8)
        let service = MessagingService(pool: pool, rules: MessagingRules(reactionsPerMinute: 0))
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let kinds = Array("🍏🍎🍐🍊🍋🍌🍉🍇🍓🫐🍈🍒🍑🥭🍍🥥🥝🍅🍆").map(String.init)
        for round in 0..<8 {
            let message = try await service.sendMessage(viewer: f.admin, conversationId: conversation.id, content: "round \(round)")
            for kind in kinds { _ = try await service.react(viewer: f.admin, messageId: message.id, emoji: kind, add: true) }
            // Two people, two new kinds, at once: one gets the 20th place.
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for (who, kind) in [(f.admin, "🥑"), (f.alice, "🌽")] {
                    group.addTask { (try? await service.react(viewer: who, messageId: message.id, emoji: kind, add: true)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "round \(round)")
            #expect(try db.scalar("SELECT count(DISTINCT emoji) FROM message_reactions WHERE message_id = $1", [message.id], as: Int.self) == 20)
        }
        await pool.shutdown()
    }
}
