import Foundation
import MsgLib
import TestSupport
import Testing

/// `/api/messages...` over real HTTP against a msgrelay process.
@Suite(.needsProcesses, .processSlot) struct RelayMessageTests {
    @Test func sendListReadEditDelete() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["MESSAGE_RATE_LIMIT_PER_MINUTE": "0"])
        let (alice, bob, admin) = (relay.token(f.alice), relay.token(f.bob), relay.token(f.admin))

        // Sending without a conversation creates the user's conversation.
        let first = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "first"])
        #expect(first.status == 201)
        #expect(Set(first.object.keys) == ["id", "conversation_id", "sender_id", "content", "created_at", "read_at", "attachments"])
        #expect(first.object["read_at"] is NSNull)
        let conversation = try #require(first.object.string("conversation_id"))
        let second = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "second"])
        #expect(second.object.string("conversation_id") == conversation)
        let reply = try await relay.request("POST", "/api/messages", token: admin, json: ["conversation_id": conversation, "content": "hi alice"])
        #expect(reply.status == 201)

        // Who may send where.
        let intruder = try await relay.request("POST", "/api/messages", token: bob, json: ["conversation_id": conversation, "content": "x"])
        #expect(intruder.status == 403 && intruder.error == "Not authorized to send message in this conversation")
        let nowhere = try await relay.request(
            "POST", "/api/messages", token: admin, json: ["conversation_id": UUID().lowercasedString, "content": "x"])
        #expect(nowhere.status == 404 && nowhere.error == "Conversation not found")
        #expect((try await relay.request("POST", "/api/messages", token: admin, json: ["content": "x"])).status == 400)

        // Content length as PostgreSQL counts it.
        for bad in ["", String(repeating: "a", count: 10_001), String(repeating: "🇫🇷", count: 5_000) + "a"] {
            let response = try await relay.request("POST", "/api/messages", token: alice, json: ["content": bad])
            #expect(response.status == 400)
            #expect(response.error == "Content must be between 1 and 10000 characters")
        }
        #expect(
            (try await relay.request("POST", "/api/messages", token: alice, json: ["content": String(repeating: "é", count: 10_000)])).status == 201)

        // Listing: newest page, chronological inside, senders attached, nullable fields present.
        var list = try await relay.request("GET", "/api/conversations/\(conversation)/messages?limit=2", token: alice)
        #expect(list.status == 200)
        var items = list.object.array("messages")
        #expect(items.count == 2)
        #expect(items[0]["content"] as? String == "hi alice")
        #expect((items[0]["sender"] as? [String: Any])?["is_admin"] as? Bool == true)
        #expect(items[0]["edited_at"] is NSNull && items[0]["read_at"] is NSNull)
        #expect(list.object.int("pagination.total") == 4)
        #expect(list.object[path: "pagination.has_more"] as? Bool == true)
        list = try await relay.request("GET", "/api/conversations/\(conversation)/messages?page=2&limit=2", token: alice)
        #expect(list.object.array("messages").compactMap { $0["content"] as? String } == ["first", "second"])
        #expect(list.object[path: "pagination.has_more"] as? Bool == false)
        let firstTime = try #require(first.object.string("created_at"))
        list = try await relay.request("GET", "/api/conversations/\(conversation)/messages?after=\(firstTime)&limit=1", token: alice)
        #expect(list.object.array("messages").compactMap { $0["content"] as? String } == ["second"])
        #expect((try await relay.request("GET", "/api/conversations/\(conversation)/messages?before=yesterday", token: alice)).status == 400)
        #expect((try await relay.request("GET", "/api/conversations/\(conversation)/messages", token: bob)).status == 403)

        // Reading: the recipient only.
        let replyId = try #require(reply.object.string("id"))
        let own = try await relay.request("PATCH", "/api/messages/\(replyId)/read", token: admin)
        #expect(own.status == 403 && own.error == "Cannot mark own message as read")
        #expect((try await relay.request("PATCH", "/api/messages/\(replyId)/read", token: bob)).status == 403)
        let read = try await relay.request("PATCH", "/api/messages/\(replyId)/read", token: alice)
        #expect(read.status == 200)
        #expect(read.object.string("id") == replyId)
        let readAt = try #require(read.object.string("read_at"))
        #expect((try await relay.request("PATCH", "/api/messages/\(replyId)/read", token: alice)).object.string("read_at") == readAt)
        let missing = try await relay.request("PATCH", "/api/messages/\(UUID().lowercasedString)/read", token: alice)
        #expect(missing.status == 404 && missing.error == "Message not found")
        #expect((try await relay.request("GET", "/api/conversations/\(conversation)", token: alice)).object.int("unread_count") == 0)

        // Bulk read: the admin reads one listed message, then the rest.
        let firstId = try #require(first.object.string("id"))
        var bulk = try await relay.request(
            "PATCH", "/api/messages/bulk-read", token: admin, json: ["conversation_id": conversation, "message_ids": [firstId]])
        #expect(bulk.status == 200 && bulk.object.int("updated_count") == 1)
        #expect((try await relay.request("GET", "/api/conversations/\(conversation)", token: admin)).object.int("unread_count") == 2)
        bulk = try await relay.request("PATCH", "/api/messages/bulk-read", token: admin, json: ["conversation_id": conversation])
        #expect(bulk.object.int("updated_count") == 2)
        #expect((try await relay.request("GET", "/api/conversations/\(conversation)", token: admin)).object.int("unread_count") == 0)
        #expect((try await relay.request("PATCH", "/api/messages/bulk-read", token: bob, json: ["conversation_id": conversation])).status == 403)
        #expect((try await relay.request("PATCH", "/api/messages/bulk-read", token: admin, json: ["message_ids": [firstId]])).status == 400)
        #expect(
            (try await relay.request(
                "PATCH", "/api/messages/bulk-read", token: admin, json: ["conversation_id": conversation, "message_ids": ["nope"]])).status == 400)

        // Editing: the sender, within 15 minutes.
        let edited = try await relay.request("PATCH", "/api/messages/\(firstId)", token: alice, json: ["content": "first (edited)"])
        #expect(edited.status == 200)
        #expect(edited.object.string("content") == "first (edited)")
        #expect(Timestamp(rfc3339: edited.object.string("edited_at") ?? "") != nil)
        #expect((try await relay.request("PATCH", "/api/messages/\(firstId)", token: admin, json: ["content": "x"])).status == 403)
        // Someone else's conversation: refused as the edit is, not as the conversation would be.
        let stranger = try await relay.request("PATCH", "/api/messages/\(firstId)", token: bob, json: ["content": "x"])
        #expect(stranger.status == 403 && stranger.error == "Not authorized to edit this message", "\(stranger.text)")
        #expect((try await relay.request("PATCH", "/api/messages/\(firstId)", token: alice, json: ["content": ""])).status == 400)
        try db.query("UPDATE messages SET created_at = created_at - interval '16 minutes' WHERE id = $1", [UUID(uuidString: firstId)!])
        let late = try await relay.request("PATCH", "/api/messages/\(firstId)", token: alice, json: ["content": "too late"])
        #expect(late.status == 403 && late.error == "Cannot edit message after 15 minutes")

        // Deleting: the sender or an admin; deleted messages vanish but stay in the table.
        let secondId = try #require(second.object.string("id"))
        let notYours = try await relay.request("DELETE", "/api/messages/\(replyId)", token: alice)
        #expect(notYours.status == 403 && notYours.error == "Not authorized to delete this message")
        let strangers = try await relay.request("DELETE", "/api/messages/\(secondId)", token: bob)
        #expect(strangers.status == 403 && strangers.error == "Not authorized to delete this message", "\(strangers.text)")
        #expect((try await relay.request("DELETE", "/api/messages/\(secondId)", token: alice)).status == 204)
        #expect((try await relay.request("DELETE", "/api/messages/\(secondId)", token: alice)).status == 404)
        #expect((try await relay.request("DELETE", "/api/messages/\(firstId)", token: admin)).status == 204)
        #expect((try await relay.request("PATCH", "/api/messages/\(firstId)", token: alice, json: ["content": "x"])).status == 404)
        items = (try await relay.request("GET", "/api/conversations/\(conversation)/messages", token: alice)).object.array("messages")
        #expect(items.count == 2)
        #expect(!items.contains { ($0["id"] as? String) == secondId })
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE deleted_at IS NOT NULL", as: Int.self) == 2)
        try await relay.stop()
    }

    @Test func deletingAnUnreadMessageLowersTheUnreadCount() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "oops"])
        let id = try #require(sent.object.string("conversation_id"))
        #expect((try await relay.request("GET", "/api/conversations/\(id)", token: relay.token(f.admin))).object.int("unread_count") == 1)
        #expect((try await relay.request("DELETE", "/api/messages/\(sent.object.string("id")!)", token: relay.token(f.alice))).status == 204)
        #expect((try await relay.request("GET", "/api/conversations/\(id)", token: relay.token(f.admin))).object.int("unread_count") == 0)
        try await relay.stop()
    }

    @Test func rateLimitsHoldAcrossRelays() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        // Three a minute, and three an hour: the fourth is refused however slowly a busy machine answers the first three.
        let limits: [String: String?] = ["MESSAGE_RATE_LIMIT_PER_MINUTE": "3", "MESSAGE_RATE_LIMIT_PER_HOUR": "3"]
        let one = try await TestRelay(database: database, environment: limits)
        let two = try await TestRelay(database: database, environment: limits)
        var statuses: [Int] = []
        for i in 0..<4 {
            let relay = i % 2 == 0 ? one : two
            statuses.append((try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "m\(i)"])).status)
        }
        #expect(statuses == [201, 201, 201, 429])
        let limited = try await two.request("POST", "/api/messages", token: two.token(f.alice), json: ["content": "again"])
        #expect(limited.status == 429)
        // The window that keeps the sender waiting longest is named, with its wait.
        #expect(limited.error == "Rate limit exceeded: at most 3 messages per hour")
        let retry = try #require(Int(limited.headers["retry-after"] ?? ""))
        #expect(retry >= 1000 && retry <= 1200)
        // Other users and the admin are not held back.
        #expect((try await one.request("POST", "/api/messages", token: one.token(f.bob), json: ["content": "bob"])).status == 201)
        let conversation = try database.connect().scalar("SELECT id FROM conversations WHERE user_id = $1", [f.alice.id], as: UUID.self)
        for i in 0..<5 {
            let reply = try await one.request(
                "POST", "/api/messages", token: one.token(f.admin), json: ["conversation_id": conversation.lowercasedString, "content": "r\(i)"])
            #expect(reply.status == 201)
        }
        try await one.stop()
        try await two.stop()
    }

    /// Each edit keeps the text it replaced: a user's edits are limited (every relay counts them together), an admin's
    /// are not, and a refused edit changes nothing.
    @Test func editsAreLimitedAcrossRelays() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let limits: [String: String?] = ["EDIT_RATE_LIMIT_PER_MINUTE": "3"]
        let one = try await TestRelay(database: database, environment: limits)
        let two = try await TestRelay(database: database, environment: limits)
        let sent = try await one.request("POST", "/api/messages", token: one.token(f.alice), json: ["content": "draft"])
        let path = "/api/messages/\(try #require(sent.object["id"] as? String))"
        var statuses: [Int] = []
        for i in 0..<4 {
            let relay = i % 2 == 0 ? one : two
            statuses.append((try await relay.request("PATCH", path, token: relay.token(f.alice), json: ["content": "edit \(i)"])).status)
        }
        #expect(statuses == [200, 200, 200, 429])
        let limited = try await two.request("PATCH", path, token: two.token(f.alice), json: ["content": "again"])
        #expect(limited.status == 429 && limited.error == "Rate limit exceeded: at most 3 edits per minute")
        let retry = try #require(Int(limited.headers["retry-after"] ?? ""))
        #expect(retry >= 1 && retry <= 20)
        let history = try db.scalar("SELECT count(*) FROM message_history WHERE message_id = $1::uuid", [String(path.dropFirst(14))], as: Int.self)
        #expect(history == 3)
        #expect(try db.scalar("SELECT content FROM messages WHERE id = $1::uuid", [String(path.dropFirst(14))], as: String.self) == "edit 2")
        // The admin is not held back.
        let conversation = try db.scalar("SELECT id FROM conversations WHERE user_id = $1", [f.alice.id], as: UUID.self)
        let reply = try await one.request(
            "POST", "/api/messages", token: one.token(f.admin), json: ["conversation_id": conversation.lowercasedString, "content": "r"])
        let replyPath = "/api/messages/\(try #require(reply.object["id"] as? String))"
        for i in 0..<5 {
            #expect((try await one.request("PATCH", replyPath, token: one.token(f.admin), json: ["content": "r\(i)"])).status == 200)
        }
        db.close()
        try await one.stop()
        try await two.stop()
    }

    /// Edits per day too: the minute's limit alone lets a user store thousands of old versions a day.
    @Test func editsAreLimitedPerDay() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["EDIT_RATE_LIMIT_PER_MINUTE": "100", "EDIT_RATE_LIMIT_PER_DAY": "2"])
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "draft"])
        let path = "/api/messages/\(try #require(sent.object["id"] as? String))"
        var statuses: [Int] = []
        for i in 0..<3 { statuses.append((try await relay.request("PATCH", path, token: relay.token(f.alice), json: ["content": "e\(i)"])).status) }
        #expect(statuses == [200, 200, 429])
        let limited = try await relay.request("PATCH", path, token: relay.token(f.alice), json: ["content": "again"])
        #expect(limited.error == "Rate limit exceeded: at most 2 edits per day")
        #expect(try #require(Int(limited.headers["retry-after"] ?? "")) > 3600)
        try await relay.stop()
    }

    /// A user can make their own messages expensive to search (long, made of many different words) and search them
    /// with a long query: highlighting and ranking cost grows with both (some 5 s a message at 200 words). A query has
    /// at most 16 words: such a search answers in about a second, not after the 30 s statement timeout with a pool
    /// connection held throughout.
    @Test func aCraftedSearchStaysCheap() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let words = (0..<249).map { "w\($0)" }
        var content = ""
        var next = 0
        while content.count < 9_980 {
            content += words[next % words.count] + " "
            next += 1
        }
        content += "w249"
        for _ in 0..<10 {
            try db.query("INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, $3)", [conversation.id, f.alice.id, content])
        }
        let relay = try await TestRelay(database: database)
        let alice = relay.token(f.alice)
        func search(_ count: Int) async throws -> (HTTPResult, Duration) {
            let query = (Array(words.prefix(count - 1)) + ["w249"]).joined(separator: "+")
            let start = ContinuousClock.now
            let answer = try await relay.request("GET", "/api/messages/search?q=\(query)&limit=10", token: alice)
            return (answer, ContinuousClock.now - start)
        }
        let (long, _) = try await search(17)
        #expect(long.status == 400 && long.error == "Search query has too many words: at most 16", "\(long.text)")
        let (answer, took) = try await search(16)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(answer.object.array("results").count == 10)
        #expect(took < .seconds(10), "\(took)")
        try await relay.stop()
    }

    @Test func searchRanksFiltersAndEscapes() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let (alice, bob, admin) = (relay.token(f.alice), relay.token(f.bob), relay.token(f.admin))
        let a = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "My invoice <script>alert(1)</script> is wrong"])
        let b = try await relay.request("POST", "/api/messages", token: bob, json: ["content": "invoice invoice, the invoice total"])
        _ = try await relay.request("POST", "/api/messages", token: bob, json: ["content": "unrelated words"])

        let all = try await relay.request("GET", "/api/messages/search?q=invoice", token: admin)
        #expect(all.status == 200)
        #expect(all.object.int("total") == 2 && all.object["total_exact"] as? Bool == true)
        let results = all.object.array("results")
        #expect(results.compactMap { ($0["message"] as? [String: Any])?["id"] as? String } == [b.object.string("id"), a.object.string("id")])
        let ranks = results.compactMap { ($0["message"] as? [String: Any])?["rank"] as? Double }
        #expect(ranks.count == 2 && ranks[0] > ranks[1])
        let snippet = try #require(results.last?["match_snippet"] as? String)
        #expect(snippet.contains("<mark>invoice</mark>"))
        #expect(snippet.contains("&lt;script&gt;") && !snippet.contains("<script>"))
        #expect((results.last?["conversation"] as? [String: Any]).flatMap { ($0["user"] as? [String: Any])?["username"] as? String } == "alice")

        // A user finds only their own messages, and may not search someone else's conversation.
        let mine = try await relay.request("GET", "/api/messages/search?q=invoice", token: alice)
        #expect(mine.object.int("total") == 1)
        let bobsConversation = try #require(b.object.string("conversation_id"))
        #expect((try await relay.request("GET", "/api/messages/search?q=invoice&conversation_id=\(bobsConversation)", token: alice)).status == 403)
        let filtered = try await relay.request("GET", "/api/messages/search?q=invoice&conversation_id=\(bobsConversation)", token: admin)
        #expect(filtered.object.int("total") == 1)
        let limited = try await relay.request("GET", "/api/messages/search?q=invoice&limit=1", token: admin)
        #expect(limited.object.array("results").count == 1 && limited.object.int("total") == 2)
        let phrase = try await relay.request("GET", "/api/messages/search?q=%22invoice%20total%22", token: admin)
        #expect(phrase.object.int("total") == 1)
        // As forms and URLSearchParams write it, `+` is a space and `%2B` a plus: "invoice -wrong" excludes a's message.
        for query in ["invoice+-wrong", "invoice%20-wrong"] {
            let excluded = try await relay.request("GET", "/api/messages/search?q=\(query)", token: admin)
            #expect(excluded.object.int("total") == 1, "\(query)")
            #expect(excluded.object.array("results").first.flatMap { ($0["message"] as? [String: Any])?["id"] as? String } == b.object.string("id"))
        }
        #expect((try await relay.request("GET", "/api/messages/search?q=%2Binvoice", token: admin)).object.int("total") == 2)
        #expect((try await relay.request("GET", "/api/messages/search?q=+", token: admin)).error == "Search query required")
        let missing = try await relay.request("GET", "/api/messages/search?q=%20", token: admin)
        #expect(missing.status == 400 && missing.error == "Search query required")
        #expect((try await relay.request("GET", "/api/messages/search", token: admin)).error == "Search query required")
        #expect((try await relay.request("GET", "/api/messages/search?q=x&after=soon", token: admin)).status == 400)
        // A query of a thousand words, which the admin's search would look up once per week of history, is refused.
        let long = String(repeating: "invoice%20or%20", count: 100) + "x"
        let refused = try await relay.request("GET", "/api/messages/search?q=\(long)", token: admin)
        #expect(refused.status == 400 && refused.error == "Search query too long: at most 1000 characters")
        let longest = String(repeating: "a", count: 1_000)
        #expect((try await relay.request("GET", "/api/messages/search?q=\(longest)", token: alice)).status == 200)
        try await relay.stop()
    }
}
