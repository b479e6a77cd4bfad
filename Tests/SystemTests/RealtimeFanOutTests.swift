import Foundation
import MsgLib
import TestSupport
import Testing

/// Fan-out across relays, resume, and recovery from crashes, over real sockets and processes.
@Suite(.needsProcesses, .processSlot) struct RealtimeFanOutTests {
    static let unlimited: [String: String?] = [
        "MESSAGE_RATE_LIMIT_PER_MINUTE": "0", "MESSAGE_RATE_LIMIT_PER_HOUR": "0", "MESSAGE_RATE_LIMIT_PER_DAY": "0",
    ]

    /// Message ids of the `message` frames a socket has received, in order.
    static func messageIds(_ socket: TestSocket) -> [String] {
        socket.all(type: "message").compactMap { $0.data["id"] as? String }
    }

    @Test func relaysDeliverToEachOthersSockets() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let one = try await TestRelay(database: database, environment: Self.unlimited)
        let two = try await TestRelay(database: database, environment: Self.unlimited)
        let alice = try one.socket(f.alice)
        let admin = try two.socket(f.admin)
        _ = try await alice.next(type: "connected")
        _ = try await admin.next(type: "connected")

        // Over REST on relay one, to the admin on relay two.
        let sent = try await one.request("POST", "/api/messages", token: one.token(f.alice), json: ["content": "via REST"])
        let delivered = try await admin.next(type: "message")
        #expect(delivered.data["id"] as? String == sent.object.string("id"))
        // Over a socket on relay two, to Alice on relay one.
        let conversation = try #require(sent.object.string("conversation_id"))
        try admin.send(["type": "send_message", "data": ["conversation_id": conversation, "content": "via socket"]])
        _ = try await alice.next { $0.type == "message" && $0.data["content"] as? String == "via socket" }
        // Straight into the database through the service layer, as msgctl does: both relays deliver.
        let pool = database.pool(size: 1)
        let service = MessagingService(pool: pool)
        let direct = try await service.sendMessage(viewer: f.admin, conversationId: UUID(uuidString: conversation)!, content: "from msgctl")
        #expect(
            (try await alice.next { $0.type == "message" && $0.data["content"] as? String == "from msgctl" }).data["id"] as? String
                == direct.id.lowercasedString)
        _ = try await admin.next { $0.type == "message" && $0.data["content"] as? String == "from msgctl" }
        // Read receipts cross relays too.
        try alice.send(["type": "mark_read", "data": ["message_ids": [direct.id.lowercasedString]]])
        #expect((try await admin.next(type: "message_read")).data["message_id"] as? String == direct.id.lowercasedString)
        await pool.shutdown()
        try await one.stop()
        try await two.stop()
    }

    /// Messages another process wrote just before a socket connects (the relay has not swept them yet) are in its
    /// replay as they stand: one read on another device meanwhile does not come to it live as new.
    @Test func messagesWrittenJustBeforeAConnectAreReplayedAsTheyStand() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: Self.unlimited)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        for round in 0..<5 {
            let ids = try (0..<2).map { i in
                try db.scalar(
                    "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, $3) RETURNING id",
                    [conversation.id, f.admin.id, "round \(round) reply \(i)"], as: UUID.self)
            }
            try db.query("UPDATE messages SET read_at = now() WHERE id = $1", [ids[0]])
            let socket = try relay.socket(f.alice)
            let joined = try await socket.next(type: "replayed")
            #expect(Self.messageIds(socket) == [ids[1].lowercasedString], "round \(round)")
            #expect(joined.data["count"] as? Int == 1)
            // A message after them: once it is here, anything sent live before it has arrived.
            let barrier = try await relay.request(
                "POST", "/api/messages", token: relay.token(f.admin),
                json: ["conversation_id": conversation.id.lowercasedString, "content": "barrier \(round)"])
            #expect(barrier.status == 201)
            _ = try await socket.next { $0.type == "message" && $0.data["content"] as? String == "barrier \(round)" }
            #expect(!Self.messageIds(socket).contains(ids[0].lowercasedString), "round \(round)")
            try db.query("UPDATE messages SET read_at = now() WHERE conversation_id = $1 AND read_at IS NULL", [conversation.id])
            try socket.sendClose()
        }
        try await relay.stop()
    }

    @Test func unreadMessagesArriveOnConnectAndResumeReplaysExactlyTheMissed() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: Self.unlimited)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let service = MessagingService(pool: database.pool(size: 1))
        var replies: [Message] = []
        for i in 0..<3 { replies.append(try await service.sendMessage(viewer: f.admin, conversationId: conversation.id, content: "reply \(i)")) }
        _ = try await service.markRead(viewer: f.alice, messageId: replies[0].id)

        // On connect: the unread ones, oldest first, then a `replayed` frame with where the socket joined.
        let first = try relay.socket(f.alice)
        _ = try await first.next(type: "connected")
        let joined = try await first.next(type: "replayed")
        #expect(Self.messageIds(first) == replies[1...].map(\.id.lowercasedString))
        #expect(joined.data["count"] as? Int == 2 && joined.data["truncated"] as? Bool == false)
        #expect((joined.data["cursor"] as? String).flatMap { ResumeCursor(token: $0) } != nil)
        let lastSeen = replies[2].id.lowercasedString
        try first.sendClose()

        // Missed while away: both directions.
        var missed: [Message] = []
        for i in 0..<4 {
            missed.append(
                try await service.sendMessage(viewer: i % 2 == 0 ? f.admin : f.alice, conversationId: conversation.id, content: "missed \(i)"))
        }
        let resumed = try relay.socket(f.alice, query: "last_message_id=\(lastSeen)")
        _ = try await resumed.next(type: "connected")
        let replayed = try await resumed.next(type: "replayed")
        #expect(replayed.data["count"] as? Int == 4)
        #expect(replayed.data["truncated"] as? Bool == false)
        #expect(Self.messageIds(resumed) == missed.map(\.id.lowercasedString))

        // Resuming with a frame on an open socket works the same, and never repeats a message on that socket.
        try resumed.send(["type": "resume", "data": ["last_message_id": missed[1].id.lowercasedString]])
        #expect((try await resumed.next(type: "replayed")).data["count"] as? Int == 2)
        try await Task.sleep(for: .milliseconds(200))
        #expect(Self.messageIds(resumed) == missed.map(\.id.lowercasedString))
        try await relay.stop()
    }

    @Test func aReplayLongerThanTheSendQueueIsPacedNotCutOff() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        var sent: [String] = []
        for i in 0..<60 {
            sent.append(
                try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "unread \(i)").id.lowercasedString)
        }
        var env = Self.unlimited
        env["WS_SEND_QUEUE_FRAMES"] = "8"
        let relay = try await TestRelay(database: database, environment: env)
        let admin = try relay.socket(f.admin)
        try await waitFor("60 unread messages") { Self.messageIds(admin).count == 60 }
        #expect(Self.messageIds(admin) == sent)
        #expect(!admin.isClosed)
        try relay.socket(f.alice).send(.sendMessage(conversationId: nil, content: "live"))
        _ = try await admin.next { $0.type == "message" && $0.data["content"] as? String == "live" }
        try await relay.stop()
    }

    @Test func killedRelayThenResumeElsewhereDeliversEveryMessageExactlyOnce() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let doomed = try await TestRelay(database: database, environment: Self.unlimited)
        let survivor = try await TestRelay(database: database, environment: Self.unlimited)
        let before = try doomed.socket(f.admin)
        _ = try await before.next(type: "connected")

        // A user keeps sending through the surviving relay while the admin's relay is killed.
        let sender = Task {
            var ids: [String] = []
            for i in 0..<60 {
                let response = try await survivor.request(
                    "POST", "/api/messages", token: survivor.token(f.alice),
                    json: ["conversation_id": conversation.id.lowercasedString, "content": "n\(i)"])
                if let id = response.object.string("id") { ids.append(id) }
                try await Task.sleep(for: .milliseconds(10))
            }
            return ids
        }
        try await waitFor("some messages before the crash") { Self.messageIds(before).count >= 10 }
        kill(doomed.process.pid, SIGKILL)
        try await waitFor("the killed relay to be gone") { !doomed.process.isRunning }
        let seen = Self.messageIds(before)
        let after = try survivor.socket(f.admin, query: "last_message_id=\(seen.last!)")
        let sent = try await sender.value
        #expect(sent.count == 60)
        try await waitFor("every message on one socket or the other") { Set(seen + Self.messageIds(after)).count == 60 }
        let all = seen + Self.messageIds(after)
        #expect(all == sent, "each message exactly once and in order")
        try await survivor.stop()
    }

    @Test func relayRecoversWhenPostgreSQLRestartsAndLosesNothing() async throws {
        let cluster = try PrivateCluster.start()
        defer { try? cluster.stop() }
        let setup = PostgresConnection(conninfo: cluster.conninfo)
        try Migrator().migrate(setup)
        let f = try Fixtures.make(setup)
        let conversation = try ConversationRepository.insert(setup, userId: f.alice.id)
        setup.close()
        let relay = try await TestRelay(database: TestDatabase(name: "postgres", conninfo: cluster.conninfo), environment: Self.unlimited)
        let admin = try relay.socket(f.admin)
        _ = try await admin.next(type: "connected")
        let writer = PostgresConnection(conninfo: cluster.conninfo)
        var sent: [UUID] = []
        for i in 0..<5 {
            sent.append(try MessageRepository.insert(writer, conversationId: conversation.id, senderId: f.alice.id, content: "before \(i)").id)
        }
        try await waitFor("messages before the restart") { Self.messageIds(admin).count == 5 }

        try cluster.restart()
        // Written the moment the server is back, possibly before the relay's listener has reconnected.
        for i in 0..<5 {
            try writer.ensureConnected()
            sent.append(try MessageRepository.insert(writer, conversationId: conversation.id, senderId: f.alice.id, content: "after \(i)").id)
        }
        try await waitFor("every message after the restart", timeout: 30) { Self.messageIds(admin).count >= 10 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(Self.messageIds(admin) == sent.map(\.lowercasedString))
        // The relay still serves REST and new messages.
        let more = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "still here"])
        #expect(more.status == 201)
        _ = try await admin.next { $0.type == "message" && $0.data["content"] as? String == "still here" }
        writer.close()
        try await relay.stop()
    }

    @Test func aBlackholedListenerIsNoticedAndCatchesUpWithEveryMessage() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        // Relay A reaches PostgreSQL through a proxy that can go silent; relay B directly.
        let proxy = try BlackholeProxy(conninfo: database.conninfo)
        defer { proxy.stop() }
        var throughProxy = Self.unlimited
        throughProxy["DATABASE_URL"] = proxy.conninfo(through: database.conninfo)
        let a = try await TestRelay(database: database, environment: throughProxy)
        let b = try await TestRelay(database: database, environment: Self.unlimited)
        let admin = try a.socket(f.admin)
        _ = try await admin.next(type: "connected")
        var sent: [String] = []
        func send(_ content: String) async throws {
            let response = try await b.request(
                "POST", "/api/messages", token: b.token(f.alice), json: ["conversation_id": conversation.id.lowercasedString, "content": content])
            sent.append(try #require(response.object.string("id")))
        }
        try await send("before")
        try await waitFor("the first message on relay A") { Self.messageIds(admin) == sent }

        // The link goes silent for 25 s (five times the probe's deadline): no FIN, no error, nothing.
        let silence = 25.0
        proxy.blackhole()
        let start = Date()
        let noticed = Task {
            _ = try await a.process.waitForOutput("listener lost its database connection", timeout: 15)
            return Date().timeIntervalSince(start)
        }
        for i in 0..<20 {
            try await send("during \(i)")
            try await Task.sleep(for: .milliseconds(1000))
        }
        let noticedAfter = try await noticed.value
        #expect(noticedAfter < 15, "the dead link was noticed after \(noticedAfter) s")
        try await Task.sleep(for: .seconds(max(0, silence - Date().timeIntervalSince(start))))
        #expect(Self.messageIds(admin) == Array(sent.prefix(1)), "nothing can arrive through a silent link")
        proxy.restore()

        let restored = Date()
        try await waitFor("every message on relay A after the link returned", timeout: 30) { Self.messageIds(admin).count >= sent.count }
        let caughtUpAfter = Date().timeIntervalSince(restored)
        try await Task.sleep(for: .milliseconds(500))
        #expect(Self.messageIds(admin) == sent, "each message exactly once and in order")
        #expect(caughtUpAfter < 20, "caught up \(caughtUpAfter) s after the link returned")
        // Live delivery works again.
        try await send("after")
        try await waitFor("a live message on relay A") { Self.messageIds(admin).count > sent.count - 1 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(Self.messageIds(admin) == sent)
        try await a.stop()
        try await b.stop()
    }

    @Test func aSlowReaderIsCutOffWhileOthersKeepUp() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        var env = Self.unlimited
        env["WS_SEND_QUEUE_FRAMES"] = "16"
        let relay = try await TestRelay(database: database, environment: env)
        let slow = try relay.socket(f.admin, readBuffer: 4096, startReading: false)
        let fast = try relay.socket(f.admin)
        _ = try await fast.next(type: "connected")
        let body = String(repeating: "x", count: 9_000)
        let service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
        var latencies: [Double] = []
        for i in 0..<400 {
            let start = Date()
            let message = try await service.sendMessage(viewer: f.alice, conversationId: conversation.id, content: "\(i) \(body)")
            _ = try await fast.next { $0.type == "message" && $0.data["id"] as? String == message.id.lowercasedString }
            latencies.append(Date().timeIntervalSince(start))
            if i % 20 == 19 {
                // A live client pings (the idle timeout would close a silent one if this loop ran long on a loaded machine).
                try fast.send(.ping)
                if (try await relay.request("GET", "/metrics")).text.contains("msgrelay_websocket_connections 1.0") { break }
            }
        }
        #expect(latencies.count < 400, "the slow reader was never cut off")
        try await waitFor("the slow reader to be disconnected", timeout: 20) {
            let metrics = try await relay.request("GET", "/metrics")
            return metrics.text.contains("msgrelay_websocket_connections 1.0")
        }
        // Were the slow reader holding the others up, the fast client would wait seconds at a time, until the slow
        // one is cut off. The bounds leave room for the rest of the suite running on the same two cores.
        latencies.sort()
        let p50 = latencies[latencies.count / 2]
        let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        #expect(p50 < 0.1, "the fast client's delivery p50 was \(p50) s")
        #expect(p99 < 2.5, "the fast client's delivery p99 was \(p99) s")
        // The fast client still works.
        try fast.send(.ping)
        _ = try await fast.next(type: "pong")
        try await relay.stop()
    }
}
