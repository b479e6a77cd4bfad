import Foundation
import MsgLib
import TestSupport
import Testing

/// The WebSocket protocol over real sockets against a msgrelay process.
@Suite(.needsProcesses, .processSlot) struct RealtimeProtocolTests {
    /// A user made admin types in their own conversation to the admins, as their messages there go to them.
    @Test func aUserMadeAdminTypesToTheAdminsInTheirConversation() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try db.query("UPDATE users SET is_admin = true WHERE id = $1", [f.alice.id])
        let relay = try await TestRelay(database: database)
        let alice = try relay.socket(try #require(try UserRepository.find(db, id: f.alice.id)))
        let admin = try relay.socket(f.admin)
        for socket in [alice, admin] { _ = try await socket.next(type: "connected") }
        try alice.send(["type": "typing", "data": ["conversation_id": conversation.id.lowercasedString, "is_typing": true]])
        let typing = try await admin.next(type: "typing")
        #expect(typing.data["user_id"] as? String == f.alice.id.lowercasedString)
        try admin.send(["type": "typing", "data": ["conversation_id": conversation.id.lowercasedString, "is_typing": true]])
        #expect((try await alice.next(type: "typing")).data["user_id"] as? String == f.admin.id.lowercasedString)
        try await relay.stop()
    }

    @Test func everyFrameTypeBothWays() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_TYPING_TIMEOUT_SECONDS": "1"])
        let alice = try relay.socket(f.alice)
        let aliceTab = try relay.socket(f.alice, useHeader: true)
        let admin = try relay.socket(f.admin)
        let bob = try relay.socket(f.bob)

        let connected = try await alice.next(type: "connected")
        #expect(connected.data["user_id"] as? String == f.alice.id.lowercasedString)
        #expect(UUID(uuidString: connected.data["connection_id"] as? String ?? "") != nil)
        #expect(Timestamp(rfc3339: connected.data["timestamp"] as? String ?? "") != nil)
        for socket in [aliceTab, admin, bob] { _ = try await socket.next(type: "connected") }

        // send_message: the sender's sockets and the admin get the message; Bob does not.
        try alice.send(.sendMessage(conversationId: nil, content: "Hello <admin>"))
        let echoed = try await alice.next(type: "message")
        let delivered = try await admin.next(type: "message")
        let otherTab = try await aliceTab.next(type: "message")
        #expect(delivered.data["id"] as? String == echoed.data["id"] as? String)
        #expect(otherTab.data["id"] as? String == echoed.data["id"] as? String)
        #expect(delivered.data["content"] as? String == "Hello <admin>")
        #expect((delivered.data["sender"] as? [String: Any])?["username"] as? String == "alice")
        #expect(delivered.data["sender_id"] as? String == f.alice.id.lowercasedString)
        let conversationId = try #require(delivered.data["conversation_id"] as? String)
        let messageId = try #require(delivered.data["id"] as? String)

        // The admin replies into the conversation: both of Alice's tabs get it.
        try admin.send(["type": "send_message", "data": ["conversation_id": conversationId, "content": "Hi Alice"]])
        let reply = try await alice.next(type: "message")
        #expect(reply.data["content"] as? String == "Hi Alice")
        #expect((reply.data["sender"] as? [String: Any])?["is_admin"] as? Bool == true)
        _ = try await aliceTab.next(type: "message")

        // mark_read: the sender learns it was read, by whom.
        try admin.send(["type": "mark_read", "data": ["message_ids": [messageId]]])
        let read = try await alice.next(type: "message_read")
        #expect(read.data["message_id"] as? String == messageId)
        #expect(read.data["read_by"] as? String == f.admin.id.lowercasedString)
        #expect(Timestamp(rfc3339: read.data["read_at"] as? String ?? "") != nil)

        // typing: to the other party only, and switched off by the server when the sender goes quiet.
        try alice.send(["type": "typing", "data": ["conversation_id": conversationId, "is_typing": true]])
        let typing = try await admin.next(type: "typing")
        #expect(typing.data["is_typing"] as? Bool == true)
        #expect(typing.data["user_id"] as? String == f.alice.id.lowercasedString)
        #expect(typing.data["conversation_id"] as? String == conversationId)
        let expired = try await admin.next(type: "typing", timeout: 5)
        #expect(expired.data["is_typing"] as? Bool == false)
        try admin.send(["type": "typing", "data": ["conversation_id": conversationId, "is_typing": true]])
        #expect((try await alice.next(type: "typing")).data["user_id"] as? String == f.admin.id.lowercasedString)
        try admin.send(["type": "typing", "data": ["conversation_id": conversationId, "is_typing": false]])
        #expect((try await alice.next(type: "typing")).data["is_typing"] as? Bool == false)

        // ping / pong.
        try bob.send(.ping)
        let pong = try await bob.next(type: "pong")
        #expect(Timestamp(rfc3339: pong.data["timestamp"] as? String ?? "") != nil)

        // Bob saw nothing of Alice's conversation, and Alice saw no typing of her own.
        #expect(bob.all(type: "message").isEmpty && bob.all(type: "typing").isEmpty && bob.all(type: "message_read").isEmpty)
        #expect(alice.all(type: "typing").filter { $0.data["user_id"] as? String == f.alice.id.lowercasedString }.isEmpty)
        // Each socket got each message once.
        try await Task.sleep(for: .milliseconds(300))
        #expect(alice.all(type: "message").isEmpty && admin.all(type: "message").filter { $0.data["id"] as? String == messageId }.isEmpty)
        try await relay.stop()
    }

    @Test func errorFramesLeaveTheSocketUsable() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let bobsConversation = try ConversationRepository.insert(db, userId: f.bob.id)
        let relay = try await TestRelay(database: database, environment: ["MESSAGE_RATE_LIMIT_PER_MINUTE": "2"])
        let alice = try relay.socket(f.alice)
        _ = try await alice.next(type: "connected")
        let cases: [(String, String)] = [
            ("not json", "invalid_json"),
            (#"[1,2]"#, "invalid_json"),
            (#"{"data":{}}"#, "invalid_request"),
            (#"{"type":"dance"}"#, "unknown_type"),
            (#"{"type":"send_message","data":{}}"#, "invalid_request"),
            (#"{"type":"send_message","data":{"content":5}}"#, "invalid_request"),
            (#"{"type":"send_message","data":{"content":"x","conversation_id":"nope"}}"#, "invalid_request"),
            (#"{"type":"send_message","data":{"content":""}}"#, "invalid_request"),
            (#"{"type":"send_message","data":{"content":"hi","conversation_id":"\#(bobsConversation.id.lowercasedString)"}}"#, "forbidden"),
            (#"{"type":"send_message","data":{"content":"hi","conversation_id":"\#(UUID().lowercasedString)"}}"#, "not_found"),
            (#"{"type":"mark_read","data":{"message_ids":[]}}"#, "invalid_request"),
            (#"{"type":"mark_read","data":{"message_ids":["\#(UUID().lowercasedString)"]}}"#, "not_found"),
            (#"{"type":"typing","data":{"conversation_id":"\#(bobsConversation.id.lowercasedString)","is_typing":true}}"#, "forbidden"),
            (#"{"type":"typing","data":{"conversation_id":"\#(bobsConversation.id.lowercasedString)","is_typing":"yes"}}"#, "invalid_request"),
        ]
        for (text, code) in cases {
            try alice.sendText(text)
            let error = try await alice.next(type: "error")
            #expect(error.data["code"] as? String == code, "\(text): \(error.text)")
            #expect((error.data["message"] as? String)?.isEmpty == false)
        }
        try alice.sendText(#"{"type":"send_message","data":{"content":""}}"#)
        #expect((try await alice.next(type: "error")).data["message"] as? String == "Content must be between 1 and 10000 characters")
        // Rate limits apply to sockets too, with the wait in the frame.
        for i in 0..<3 { try alice.send(["type": "send_message", "data": ["content": "m\(i)"]]) }
        let limited = try await alice.next(type: "error")
        #expect(limited.data["code"] as? String == "rate_limited")
        #expect((limited.data["retry_after"] as? Int ?? 0) >= 1)
        #expect(alice.all(type: "message").count == 2)
        // Still usable.
        try alice.send(.ping)
        _ = try await alice.next(type: "pong")
        // A frame over 128 KiB is refused: the server closes with 1009 (message too big).
        try alice.sendText(String(repeating: "x", count: 140_000))
        let close = try await alice.next { $0.isClose }
        #expect(close.closeCode == 1009)
        try await relay.stop()
    }

    @Test func refusedSocketsAreToldWhyAndClosed() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let open = try await TestRelay(database: database)
        func refusal(_ socket: TestSocket) async throws -> (code: String?, message: String?, close: Int?) {
            let error = try await socket.next(type: "error")
            let close = try await socket.next { $0.isClose }
            #expect(socket.all(type: "connected").isEmpty)
            return (error.data["code"] as? String, error.data["message"] as? String, close.closeCode)
        }
        var result = try await refusal(try TestSocket(port: open.port, path: "/ws/messages"))
        #expect(result.code == "unauthorized" && result.message == "Missing bearer token" && result.close == 4401)
        result = try await refusal(try TestSocket(port: open.port, path: "/ws/messages?token=abc.def.ghi"))
        #expect(result.message == "Invalid token" && result.close == 4401)
        let expired = JWTSigner(secret: TestRelay.secret).token(for: f.alice.id, ttl: -10)
        result = try await refusal(try TestSocket(port: open.port, path: "/ws/messages?token=\(expired)"))
        #expect(result.message == "Token expired")
        // Without ALLOWED_ORIGINS: no Origin, or this host, only.
        _ = try await open.socket(f.alice).next(type: "connected")
        _ = try await open.socket(f.alice, headers: ["Origin": "http://127.0.0.1:\(open.port)"]).next(type: "connected")
        result = try await refusal(try open.socket(f.alice, headers: ["Origin": "https://evil.example"]))
        #expect(result.code == "forbidden" && result.message == "Origin not allowed" && result.close == 4403)
        // A malformed resume id is reported; the socket is still served.
        let badResume = try open.socket(f.alice, query: "last_message_id=nope")
        _ = try await badResume.next(type: "connected")
        #expect((try await badResume.next(type: "error")).data["message"] as? String == "last_message_id must be a UUID")
        // So is a cursor whose clock no message id can carry (the relay adds a margin to it), on the upgrade or in a
        // `resume` frame; the relay goes on serving.
        let farClock = "3.0..9223372036854775807~3.0..0~"
        let badCursor = try open.socket(f.alice, query: "cursor=\(farClock)")
        _ = try await badCursor.next(type: "connected")
        #expect((try await badCursor.next(type: "error")).data["code"] as? String == "invalid_request")
        try badCursor.sendText(#"{"type":"resume","data":{"cursor":"\#(farClock)"}}"#)
        #expect((try await badCursor.next(type: "error")).data["code"] as? String == "invalid_request")
        try badCursor.send(.ping)
        _ = try await badCursor.next(type: "pong")
        try open.socket(f.alice).send(.ping)
        try await open.stop()

        let strict = try await TestRelay(database: database, environment: ["ALLOWED_ORIGINS": "https://site.example, https://admin.site.example"])
        _ = try await strict.socket(f.alice, headers: ["Origin": "https://site.example"]).next(type: "connected")
        _ = try await strict.socket(f.alice, headers: ["Origin": "https://admin.site.example"]).next(type: "connected")
        #expect(try await refusal(try strict.socket(f.alice, headers: ["Origin": "http://127.0.0.1:\(strict.port)"])).close == 4403)
        #expect(try await refusal(try strict.socket(f.alice, headers: ["Origin": "https://site.example.evil"])).close == 4403)
        try await strict.stop()
    }

    @Test func silentSocketsAreClosedAndPingsKeepThemOpen() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_IDLE_TIMEOUT_SECONDS": "1.5"])
        let silent = try relay.socket(f.alice)
        let chatty = try relay.socket(f.bob)
        let started = Date()
        // Pings from a thread of its own, so a busy test run cannot delay them past the timeout.
        let pinging = Flag(true)
        let pinger = Thread {
            while pinging.isSet {
                try? chatty.send(.ping)
                usleep(200_000)
            }
        }
        pinger.start()
        defer { pinging.set(false) }
        let close = try await silent.next(timeout: 10) { $0.isClose }
        #expect(close.closeCode == 1000)
        #expect(Date().timeIntervalSince(started) >= 1.4)
        try await waitFor("the silent socket to be closed") { silent.isClosed }
        // Twice the timeout with pings going on: still open.
        try await waitFor("3.3 s to pass", timeout: 10) { Date().timeIntervalSince(started) > 3.3 }
        #expect(!chatty.isClosed)
        #expect(chatty.received.filter { $0.isClose }.isEmpty)
        #expect(chatty.all(type: "pong").count >= 10)
        try await relay.stop()
    }

    @Test func sigtermClosesSocketsWithGoingAway() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")
        relay.process.signal(SIGTERM)
        let close = try await socket.next { $0.isClose }
        #expect(close.closeCode == 1001)
        try await waitFor("msgrelay to exit") { !relay.process.isRunning }
        #expect(relay.process.exitStatus == 0)
    }

    /// While a stopping relay waits for its last sockets to go, `/readyz` answers 503 (a load balancer sends the
    /// clients elsewhere) and a socket that comes is turned away with 1001 instead of being served until the end.
    @Test func aStoppingRelayIsNotReadyAndTurnsNewSocketsAway() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        // It never reads, so never answers the close frame: the relay waits for it (up to 5 s) before it stops.
        let silent = try relay.socket(f.alice, startReading: false)
        try await waitFor("the socket counted") { try await relay.socketCount() == 1 }
        #expect(try await relay.request("GET", "/readyz").status == 200)
        relay.process.signal(SIGTERM)
        try await waitFor("/readyz to say 503", timeout: 4) { try await relay.request("GET", "/readyz").status == 503 }
        #expect(try await relay.request("GET", "/healthz").status == 200)
        let late = try relay.socket(f.bob)
        let error = try await late.next(type: "error")
        #expect(error.data.string("code") == "unavailable")
        let close = try await late.next { $0.isClose }
        #expect(close.closeCode == 1001)
        #expect(late.all(type: "connected").isEmpty)
        try await waitFor("msgrelay to exit") { !relay.process.isRunning }
        #expect(relay.process.exitStatus == 0)
        silent.startReading()
    }
}

extension RealtimeProtocolTests {
    @Test func socketsThatCloseAreForgotten() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        var sockets: [TestSocket] = []
        for _ in 0..<5 { sockets.append(try relay.socket(f.alice)) }
        for socket in sockets { _ = try await socket.next(type: "connected") }
        try await waitFor("5 sockets counted") { (try await relay.request("GET", "/metrics")).text.contains("msgrelay_websocket_connections 5.0") }
        for socket in sockets { try socket.sendClose() }
        try await waitFor("closed sockets to leave the hub") {
            (try await relay.request("GET", "/metrics")).text.contains("msgrelay_websocket_connections 0.0")
        }
        try await relay.stop()
    }
}

extension RealtimeProtocolTests {
    @Test func markReadTakesManyIdsAndReportsTheOnesRefused() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let fromAlice = try (0..<2).map {
            try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "q\($0)").id
        }
        let fromAdmin = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "a").id
        let relay = try await TestRelay(database: database)
        let alice = try relay.socket(f.alice)
        let admin = try relay.socket(f.admin)
        _ = try await alice.next(type: "connected")
        _ = try await admin.next(type: "connected")
        try admin.send(["type": "mark_read", "data": ["message_ids": (fromAlice + [fromAdmin]).map(\.lowercasedString)]])
        let error = try await admin.next(type: "error")
        #expect(error.data["code"] as? String == "forbidden")
        #expect(error.data["message"] as? String == "Cannot mark own message as read")
        try await waitFor("two read receipts") { alice.all(type: "message_read").count == 2 }
        #expect(Set(alice.all(type: "message_read").compactMap { $0.data["message_id"] as? String }) == Set(fromAlice.map(\.lowercasedString)))
        #expect(try ConversationRepository.find(db, id: conversation.id)?.unreadCountAdmin == 0)
        #expect(try MessageRepository.find(db, id: fromAdmin)?.readAt == nil)
        try await relay.stop()
    }

    /// A receipt sent while a socket was gone (the admin read the user's message meanwhile) reaches the socket that
    /// resumes: the replay brings only messages after the cursor, and this one came before it.
    @Test func aResumingSocketGetsTheReceiptsItMissed() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        let first = try relay.socket(f.alice)
        _ = try await first.next(type: "replayed")
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "a question"])
        let id = try #require(sent.object.string("id"))
        let echo = try await first.next { $0.type == "message" && $0.data["id"] as? String == id }
        let cursor = try #require(echo.data["cursor"] as? String)
        try first.sendClose()
        let read = try await relay.request("PATCH", "/api/messages/\(id)/read", token: relay.token(f.admin))
        #expect(read.status == 200)
        let resumed = try relay.socket(f.alice, query: "cursor=\(cursor)")
        let receipt = try await resumed.next(type: "message_read")
        #expect(receipt.data["message_id"] as? String == id && receipt.data["read_at"] as? String == read.object.string("read_at"))
        let replayed = try await resumed.next(type: "replayed")
        #expect(replayed.data["count"] as? Int == 0)
        try await relay.stop()
    }

    /// A client that asks again for a receipt it missed (sent before its socket dropped, or read on another device)
    /// gets it, on its own socket only: a message read already changes nothing else.
    @Test func markingAMessageReadAgainAnswersWithItsReceipt() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let reply = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "an answer")
        let relay = try await TestRelay(database: database)
        let alice = try relay.socket(f.alice)
        let admin = try relay.socket(f.admin)
        _ = try await alice.next(type: "replayed")
        _ = try await admin.next(type: "replayed")
        let read = try await relay.request("PATCH", "/api/messages/\(reply.id.lowercasedString)/read", token: relay.token(f.alice))
        #expect(read.status == 200)
        let readAt = try #require(read.object["read_at"] as? String)
        // The receipt goes out to both (taken here: the page that asks again below lost it).
        for socket in [alice, admin] { _ = try await socket.next(type: "message_read") }
        try alice.send(["type": "mark_read", "data": ["message_ids": [reply.id.lowercasedString]]])
        let receipt = try await alice.next(type: "message_read")
        #expect(receipt.data["message_id"] as? String == reply.id.lowercasedString)
        #expect(receipt.data["read_at"] as? String == readAt)
        #expect(receipt.data["read_by"] is NSNull)
        // The admin's socket saw nothing more: a ping answered after the frame shows none came before it.
        try admin.send(["type": "ping"])
        _ = try await admin.next(type: "pong")
        #expect(admin.all(type: "message_read").isEmpty)
        try await relay.stop()
    }

    /// Fifty messages read elsewhere, asked for again in one `mark_read` with one id of a message since deleted: the
    /// socket gets the fifty receipts, as one unit of its small queue (it stays open), then the refusal.
    @Test func manyReceiptsAskedForAgainComeTogetherDespiteARefusedId() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let replies = try (0..<50).map { n in
            try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "reply \(n)").id
        }
        let deleted = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "gone").id
        _ = try db.query("UPDATE messages SET read_at = now() WHERE id = ANY($1::uuid[])", [replies])
        _ = try db.query("UPDATE messages SET deleted_at = now() WHERE id = $1", [deleted])
        let relay = try await TestRelay(database: database, environment: ["WS_SEND_QUEUE_FRAMES": "16"])
        let alice = try relay.socket(f.alice)
        _ = try await alice.next(type: "replayed")
        try alice.send(["type": "mark_read", "data": ["message_ids": (replies + [deleted]).map(\.lowercasedString)]])
        let refusal = try await alice.next(type: "error")
        #expect(refusal.data["code"] as? String == "not_found")
        #expect(Set(alice.all(type: "message_read").compactMap { $0.data["message_id"] as? String }) == Set(replies.map(\.lowercasedString)))
        try alice.send(["type": "ping"])
        _ = try await alice.next(type: "pong")
        #expect(!alice.isClosed)
        try await relay.stop()
    }
}
