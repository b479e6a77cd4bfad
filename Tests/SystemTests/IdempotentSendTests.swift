import Foundation
import MsgLib
import TestSupport
import Testing

/// Sends made again with the same key (`Idempotency-Key`, `client_id`) make no second message, over REST and
/// WebSocket, across relays, under a forced race, and without costing the rate limit.
@Suite(.needsProcesses, .processSlot) struct IdempotentSendTests {
    private func keyedRows(_ db: PostgresConnection, _ key: String) throws -> Int {
        try db.query("SELECT count(*)::int8 AS n FROM messages WHERE client_key = $1", [key])[0].decode("n", as: Int64.self).asInt
    }

    @Test func restRetriesGetTheFirstMessageAndCostNothing() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["MESSAGE_RATE_LIMIT_PER_MINUTE": "2"])
        let (alice, bob) = (relay.token(f.alice), relay.token(f.bob))
        let send = { (token: String, key: String, content: String) in
            try await relay.request("POST", "/api/messages", token: token, json: ["content": content], headers: ["Idempotency-Key": key])
        }

        let first = try await send(alice, "order-1", "hello")
        #expect(first.status == 201 && first.headers["idempotent-replayed"] == nil)
        let id = try #require(first.object.string("id"))
        for _ in 0..<3 {
            let again = try await send(alice, "order-1", "hello")
            #expect(again.status == 201 && again.object.string("id") == id && again.object.string("created_at") == first.object.string("created_at"))
            #expect(again.headers["idempotent-replayed"] == "true")
        }
        #expect(try keyedRows(db, "order-1") == 1)
        // Three retries took nothing from the limit of two a minute: one more message passes, the next does not.
        #expect((try await send(alice, "order-2", "second")).status == 201)
        #expect((try await send(alice, "order-3", "third")).status == 429)
        // Even refused, a retry of a message made is answered with it.
        #expect((try await send(alice, "order-1", "hello")).object.string("id") == id)

        // The same key for other text is refused; another sender's key is their own.
        let reused = try await send(alice, "order-1", "changed")
        #expect(reused.status == 409 && reused.error == "This idempotency key was already used for a different message")
        // Text that only looks the same (another Unicode form of it) is other text: the key's message is what was stored.
        let bobs = try await send(bob, "order-1", "hello")
        #expect(bobs.status == 201 && bobs.object.string("id") != id)
        // Text that only looks the same (another Unicode form of it) is other text: the key's message is what was stored.
        let carol = relay.token(try UserRepository.insert(db, username: "carol", displayName: "Carol"))
        #expect((try await send(carol, "order-nfc", "caf\u{E9}")).status == 201)
        #expect((try await send(carol, "order-nfc", "cafe\u{301}")).status == 409)

        // Keys that are not 1 to 255 visible ASCII characters.
        for bad in ["", String(repeating: "k", count: 256), "two words", "tab\there", "clé"] {
            let response = try await send(bob, bad, "x")
            #expect(response.status == 400, "key \(bad.debugDescription)")
            #expect(response.error == "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        // A control character does not even make it through the HTTP parser.
        #expect((try await send(bob, "del\u{7f}", "x")).status == 400)
        #expect((try await send(bob, String(repeating: "k", count: 255), "longest")).status == 201)
        // Without a key, every send is a message of its own.
        let conversation = try #require(first.object.string("conversation_id"))
        for _ in 0..<2 {
            let response = try await relay.request(
                "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversation, "content": "same"])
            #expect(response.status == 201)
        }
        #expect(try db.query("SELECT count(*)::int8 AS n FROM messages WHERE content = 'same'")[0].decode("n", as: Int64.self) == 2)
    }

    /// A send whose answer was lost, retried after the message was edited (on another device), is still the same send:
    /// answered with the message as it stands, never 409. Other text is refused as before, the edited text too.
    @Test func aRetryAfterAnEditGetsTheMessage() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        let alice = relay.token(f.alice)
        let first = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "helo"], headers: ["Idempotency-Key": "k1"])
        let id = try #require(first.object.string("id"))
        for text in ["hello", "hello!"] {
            #expect((try await relay.request("PATCH", "/api/messages/\(id)", token: alice, json: ["content": text])).status == 200)
        }
        let again = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "helo"], headers: ["Idempotency-Key": "k1"])
        #expect(again.status == 201 && again.object.string("id") == id && again.object.string("content") == "hello!")
        #expect(again.headers["idempotent-replayed"] == "true")
        for other in ["hello", "hello!", "other"] {
            let reused = try await relay.request("POST", "/api/messages", token: alice, json: ["content": other], headers: ["Idempotency-Key": "k1"])
            #expect(reused.status == 409, "\(other)")
        }
        // Over a socket, with a client_id.
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "replayed")
        let clientId = UUID().lowercasedString
        try socket.send(["type": "send_message", "data": ["content": "frist", "client_id": clientId]])
        let sent = try await socket.next(type: "message_sent")
        let socketId = try #require(sent.data["id"] as? String)
        #expect((try await relay.request("PATCH", "/api/messages/\(socketId)", token: alice, json: ["content": "first"])).status == 200)
        try socket.send(["type": "send_message", "data": ["content": "frist", "client_id": clientId]])
        let retried = try await socket.next(type: "message_sent")
        #expect(retried.data["id"] as? String == socketId && retried.data["client_id"] as? String == clientId)
        #expect(try keyedRows(db, "k1") == 1)
        try await relay.stop()
    }

    @Test func concurrentRetriesHeldBehindALockMakeOneMessage() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["MESSAGE_RATE_LIMIT_PER_MINUTE": "0"])
        let alice = relay.token(f.alice)
        let conversation = try #require(
            (try await relay.request("POST", "/api/messages", token: alice, json: ["content": "start"])).object.string("conversation_id"))

        // The conversation is held: every retry of the same send waits for it, then only one of them inserts.
        let holder = try database.connect()
        try holder.query("BEGIN")
        try holder.query("SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE", [UUID(uuidString: conversation)!])
        let answers = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await relay.request(
                        "POST", "/api/messages", token: alice, json: ["content": "pay once"], headers: ["Idempotency-Key": "pay-7"])
                }
            }
            try await waitFor("six sends waiting for the conversation", timeout: 60) {
                try db.query(
                    "SELECT count(*)::int8 AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )[0].decode("n", as: Int64.self) >= 6
            }
            try holder.query("COMMIT")
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 201 })
        #expect(Set(answers.compactMap { $0.object.string("id") }).count == 1)
        #expect(answers.filter { $0.headers["idempotent-replayed"] == "true" }.count == 5)
        #expect(try keyedRows(db, "pay-7") == 1)
    }

    @Test func socketRetriesOnAnotherRelayGetTheFirstMessage() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let limits: [String: String?] = ["MESSAGE_RATE_LIMIT_PER_MINUTE": "0"]
        let relayA = try await TestRelay(database: database, environment: limits)
        let relayB = try await TestRelay(database: database, environment: limits)
        let alice = try relayA.socket(f.alice)
        let admin = try relayB.socket(f.admin)
        for socket in [alice, admin] { _ = try await socket.next(type: "connected") }
        let clientId = UUID()

        try alice.send(.sendMessage(conversationId: nil, content: "typed offline", clientId: clientId))
        let sent = try await alice.next(type: "message_sent")
        #expect(sent.data["client_id"] as? String == clientId.lowercasedString)
        #expect(sent.data["content"] as? String == "typed offline")
        #expect((sent.data["sender"] as? [String: Any])?["username"] as? String == "alice")
        let id = try #require(sent.data["id"] as? String)
        #expect((try await admin.next(type: "message")).data["id"] as? String == id)

        // Reacted to meanwhile, by the admin and by alice herself.
        for (who, emoji) in [(f.admin, "👍"), (f.alice, "❤️")] {
            let reacted = try await relayB.request("PUT", ReactionTests.path(id, emoji), token: relayB.token(who))
            #expect(reacted.status == 200, "\(reacted.text)")
        }
        // The connection dropped before the answer: the client sends again, with the same id, to the other relay.
        let again = try relayB.socket(f.alice)
        _ = try await again.next(type: "connected")
        try again.send(.sendMessage(conversationId: nil, content: "typed offline", clientId: clientId))
        let resent = try await again.next(type: "message_sent")
        #expect(resent.data["id"] as? String == id)
        // The message as it stands, with its reactions as alice sees them.
        let reactions = (resent.data["reactions"] as? [[String: Any]]) ?? []
        #expect(reactions.map { $0["emoji"] as? String } == ["👍", "❤️"], "\(resent.object)")
        #expect(reactions.map { $0["reacted_by_me"] as? Bool } == [false, true] && reactions.allSatisfy { $0["users"] == nil })
        // Nothing new reaches the admin: the next message they get is the one sent after.
        try again.send(.sendMessage(conversationId: nil, content: "after"))
        #expect((try await admin.next(type: "message")).data["content"] as? String == "after")
        #expect(try keyedRows(db, clientId.lowercasedString) == 1)

        // Refusals name the send they answer.
        try again.send(.sendMessage(conversationId: nil, content: "something else", clientId: clientId))
        let conflict = try await again.next(type: "error")
        #expect(conflict.data["code"] as? String == "conflict" && conflict.data["client_id"] as? String == clientId.lowercasedString)
        let other = UUID()
        try again.send(.sendMessage(conversationId: nil, content: "", clientId: other))
        let invalid = try await again.next(type: "error")
        #expect(invalid.data["code"] as? String == "invalid_request" && invalid.data["client_id"] as? String == other.lowercasedString)
        try again.send(["type": "send_message", "data": ["content": "x", "client_id": "not-a-uuid"]])
        #expect((try await again.next(type: "error")).data["code"] as? String == "invalid_request")
        // A send without client_id gets no message_sent.
        #expect(again.all(type: "message_sent").isEmpty)
    }
}

extension Int64 {
    fileprivate var asInt: Int { Int(self) }
}
