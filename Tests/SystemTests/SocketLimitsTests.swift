import Foundation
import MsgLib
import TestSupport
import Testing

/// What one user can multiply over WebSocket is bounded: sockets per user, frames per socket, typing events.
@Suite(.needsProcesses, .processSlot) struct SocketLimitsTests {
    static func connected(_ relay: TestRelay, _ user: User) async throws -> TestSocket {
        let socket = try relay.socket(user)
        _ = try await socket.next(type: "connected")
        return socket
    }

    @Test func aUserBeyondTheirSocketLimitIsRefusedOthersAreNot() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_MAX_SOCKETS_PER_USER": "3"])
        var alices: [TestSocket] = []
        for _ in 0..<3 { alices.append(try await Self.connected(relay, f.alice)) }
        let refused = try relay.socket(f.alice)
        let error = try await refused.next(type: "error")
        #expect(error.data["code"] as? String == "too_many_sockets")
        #expect(try await refused.next { $0.isClose }.closeCode == 4429)
        #expect(refused.all(type: "connected").isEmpty)
        // Another user is not affected; a socket closed makes room again.
        _ = try await Self.connected(relay, f.bob)
        try alices[0].sendClose()
        try await waitFor("room for another socket of alice's") {
            let socket = try relay.socket(f.alice)
            let first = try await socket.next { $0.type == "connected" || $0.type == "error" }
            return first.type == "connected"
        }
        try await relay.stop()
    }

    /// Sockets waiting to join (their cursor is ahead of this relay) count against the limit: those beyond it are
    /// refused at once, before any `connected` frame.
    @Test func socketsWaitingToJoinCountAgainstTheLimit() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_MAX_SOCKETS_PER_USER": "2"])
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let ahead = "3.0..\(millis)~3.1000000000..\(millis)~"
        let sockets = try (0..<5).map { _ in try relay.socket(f.alice, query: "cursor=\(ahead)") }
        var admitted: [TestSocket] = []
        for socket in sockets {
            let first = try await socket.next { $0.type == "connected" || $0.type == "error" }
            if first.type == "error" {
                #expect(first.data["code"] as? String == "too_many_sockets")
                #expect(try await socket.next { $0.isClose }.closeCode == 4429)
            } else {
                admitted.append(socket)
            }
        }
        #expect(admitted.count == 2)
        // The two admitted join once their wait is over.
        for socket in admitted { _ = try await socket.next(type: "replayed", timeout: 20) }
        try await relay.stop()
    }

    /// Sockets that go away while their replay waits to join (their cursor is ahead of this relay, which waits for a
    /// sweep) take no room once that wait is over: the user's next sockets are served.
    @Test func socketsGoneBeforeTheyJoinedTakeNoRoom() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_MAX_SOCKETS_PER_USER": "2"])
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let ahead = "3.0..\(millis)~3.1000000000..\(millis)~"
        for _ in 0..<3 {
            // The sockets gone before hold their places until their waits are over (a sweep; longer on a loaded machine):
            // a socket refused meanwhile is tried again.
            try await waitFor("a socket admitted", timeout: 30) {
                let socket = try relay.socket(f.alice, query: "cursor=\(ahead)")
                let first = try await socket.next(timeout: 20) { $0.type == "connected" || $0.type == "error" }
                socket.vanish()
                try await waitFor("the socket closed") { socket.isClosed }
                return first.type == "connected"
            }
        }
        // Once their waits are over (5 s, later on a loaded machine), two sockets are served at once.
        try await waitFor("room for two sockets", timeout: 30) {
            let sockets = try [relay.socket(f.alice), relay.socket(f.alice)]
            var served = true
            for socket in sockets {
                let first = try await socket.next(timeout: 20) { $0.type == "replayed" || $0.type == "error" }
                served = served && first.type == "replayed"
            }
            if !served {
                for socket in sockets { socket.vanish() }
                try await waitFor("the refused sockets closed") { sockets.allSatisfy(\.isClosed) }
            }
            return served
        }
        try await relay.stop()
    }

    /// A socket closed while its replay still runs keeps its place until the replay ends: a client that closes each
    /// socket as soon as it opens cannot run more replays at once than it may have sockets.
    @Test func aSocketClosedDuringItsReplayHoldsItsPlaceUntilTheReplayEnds() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["WS_MAX_SOCKETS_PER_USER": "1"])
        // The replay of alice's unread messages waits for the table.
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE")
        let first = try await Self.connected(relay, f.alice)
        try await waitFor("the replay to wait for the table") {
            try db.scalar(
                """
                SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()
                  AND query ILIKE 'SELECT unread_count_user FROM conversations%'
                """, as: Int.self) >= 1
        }
        try first.sendClose()
        try await waitFor("the socket closed") { first.isClosed }
        let refused = try relay.socket(f.alice)
        let error = try await refused.next { $0.type == "error" || $0.type == "connected" }
        #expect(error.data["code"] as? String == "too_many_sockets", "\(error.object)")
        try blocker.execute("ROLLBACK")
        // Once the replay has ended, the place is free.
        try await waitFor("room for alice's next socket") {
            let socket = try relay.socket(f.alice)
            return try await socket.next { $0.type == "connected" || $0.type == "error" }.type == "connected"
        }
        try await relay.stop()
    }

    /// A cursor that names transactions the database never committed (forged, or from before a failover) is waited
    /// for one sweep only, not for the 5 s a cursor from a relay that is ahead may take.
    @Test func aCursorNoSweepCoversIsServedAfterOneSweep() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let socket = try relay.socket(f.alice, query: "cursor=3.0..\(millis)~3.1000000000..\(millis)~")
        let started = ContinuousClock.now
        _ = try await socket.next(type: "replayed", timeout: 20)
        // Waiting for a relay that is ahead would take the whole 5 s; one sweep takes less, however loaded the machine.
        #expect(ContinuousClock.now - started < .seconds(5))
        try await relay.stop()
    }

    @Test func framesBeyondTheRateAreRefusedThenTheSocketIsClosed() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(
            database: database, environment: CommitOrderTests.unlimited.merging(["WS_FRAMES_PER_SECOND": "2", "WS_FRAME_BURST": "3"]) { $1 })
        // Pings are counted apart, with room for many more than a heartbeat sends.
        let pinger = try await Self.connected(relay, f.bob)
        for _ in 0..<30 { try pinger.send(.ping) }
        try await waitFor("30 pongs") { pinger.all(type: "pong").count == 30 }
        #expect(pinger.all(type: "error").isEmpty)
        // A client pinging as fast as it can gets 40 pongs at once and a couple a second, then is closed.
        let flooder = try await Self.connected(relay, f.bob)
        for _ in 0..<200 { try flooder.send(.ping) }
        let flooded = try await flooder.next(timeout: 10) { $0.isClose }
        #expect(flooded.closeCode == 1008 && String(decoding: flooded.payload.dropFirst(2), as: UTF8.self) == "Too many pings")
        #expect(flooder.all(type: "pong").count < 50)

        let alice = try await Self.connected(relay, f.alice)
        let frame = ClientFrame.markRead(messageIds: [UUID()])
        for _ in 0..<4 { try alice.send(frame) }
        // The first three are answered (not_found, the id is made up) whenever the database answers; the fourth is refused.
        let refusal = try await alice.next { $0.type == "error" && $0.data["code"] as? String != "not_found" }
        #expect(refusal.data["code"] as? String == "too_many_frames")
        #expect((refusal.data["retry_after"] as? Int ?? 0) >= 1)
        // Going on regardless: closed.
        for _ in 0..<10 { try alice.send(frame) }
        let close = try await alice.next { $0.isClose }
        #expect(close.closeCode == 1008 && String(decoding: close.payload.dropFirst(2), as: UTF8.self) == "Too many frames")
        // The other user's socket is still served.
        try pinger.send(.ping)
        try await waitFor("another pong") { pinger.all(type: "pong").count == 31 }
        try await relay.stop()
    }

    /// Frames a socket had queued when the relay began closing it act no more: a send behind a long one, on a socket
    /// closed for its frames, is neither stored nor answered (the client, which gets no answer, sends it again).
    @Test func framesQueuedWhenTheRelayClosesTheSocketDoNotAct() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(
            database: database,
            environment: CommitOrderTests.unlimited.merging(["WS_FRAMES_PER_SECOND": "1", "WS_FRAME_BURST": "3", "WS_MAX_SOCKETS_PER_USER": "1"]) {
                $1
            })
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let alice = try await Self.connected(relay, f.alice)
        _ = try await alice.next(type: "replayed")
        // The first send waits for the table; the two after it wait in the socket's queue.
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE conversations IN ACCESS EXCLUSIVE MODE")
        try alice.send(.sendMessage(conversationId: conversation.id, content: "first"))
        try await waitFor("the first send to wait for the table") {
            try db.scalar(
                """
                SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()
                  AND query LIKE '%INSERT INTO messages%'
                """,
                as: Int.self) >= 1
        }
        for index in 2...3 { try alice.send(.sendMessage(conversationId: conversation.id, content: "queued \(index)")) }
        for _ in 0..<20 { try alice.send(.markRead(messageIds: [UUID()])) }
        let close = try await alice.next { $0.isClose }
        #expect(close.closeCode == 1008)
        try blocker.execute("ROLLBACK")
        // The socket's place is given back once its last job has ended: then nothing more of it can act.
        try await waitFor("room for alice's next socket") {
            let socket = try relay.socket(f.alice)
            return try await socket.next { $0.type == "connected" || $0.type == "error" }.type == "connected"
        }
        let stored = try db.query("SELECT content FROM messages ORDER BY id").map { try $0.decode(0, as: String.self) }
        #expect(stored == ["first"])
        try await relay.stop()
    }

    @Test func typingAtEveryKeystrokeCostsOneEvent() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let admin = try await Self.connected(relay, f.admin)
        let alice = try await Self.connected(relay, f.alice)
        for _ in 0..<10 { try alice.send(.typing(conversationId: conversation.id, isTyping: true)) }
        try alice.send(.typing(conversationId: conversation.id, isTyping: false))
        // A message after them: once the admin has it, every typing event sent before it has arrived.
        try alice.send(.sendMessage(conversationId: nil, content: "barrier"))
        _ = try await admin.next(type: "message")
        // (Typing travels through the database's notifications, the message through the relay at its commit: on a busy
        // machine the events may come a little after it.)
        try await waitFor("one typing event and its end, got \(admin.all(type: "typing").count)") {
            admin.all(type: "typing").map { $0.data["is_typing"] as? Bool } == [true, false]
        }
        // Nothing more follows.
        try alice.send(.sendMessage(conversationId: nil, content: "second barrier"))
        _ = try await admin.next { $0.type == "message" && $0.data["content"] as? String == "second barrier" }
        #expect(admin.all(type: "typing").count == 2)
        try await relay.stop()
    }

    /// The typing limit is the user's, not each socket's: a user typing from many sockets at once sends the admins one
    /// indicator.
    @Test func typingFromManySocketsCostsOneEvent() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let admin = try await Self.connected(relay, f.admin)
        var sockets: [TestSocket] = []
        for _ in 0..<5 { sockets.append(try await Self.connected(relay, f.alice)) }
        for socket in sockets { try socket.send(.typing(conversationId: conversation.id, isTyping: true)) }
        // Each socket's message comes after its typing event is announced: once the admin has the five, every event
        // is on its way, in the order the database's notifications go out; bob's, announced after them, comes last.
        for socket in sockets { try socket.send(.sendMessage(conversationId: nil, content: "barrier")) }
        try await waitFor("the barriers") { admin.all(type: "message").count == 5 }
        let bobs = try ConversationRepository.insert(db, userId: f.bob.id)
        let bob = try await Self.connected(relay, f.bob)
        try bob.send(.typing(conversationId: bobs.id, isTyping: true))
        _ = try await admin.next { $0.type == "typing" && $0.data["user_id"] as? String == f.bob.id.lowercasedString }
        let alices = admin.all(type: "typing").filter { $0.data["user_id"] as? String == f.alice.id.lowercasedString }
        #expect(alices.map { $0.data["is_typing"] as? Bool } == [true])
        try await relay.stop()
    }
}

extension SocketLimitsTests {
    /// Sockets that resume over a long history and then read nothing while long messages keep coming hold at most their
    /// byte budget each (beyond what the kernel buffers), and are cut off as slow consumers (1008).
    @Test func nonReadingSocketsAreCutOffWithBoundedMemory() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let long = String(repeating: "long message body ", count: 500)  // 9,000 characters
        try Self.insertMessages(db, 100, into: conversation.id, from: f.alice.id, content: long)
        let relay = try await TestRelay(
            database: database, environment: ["WS_MAX_QUEUED_BYTES": "262144", "WS_MAX_SOCKETS_PER_USER": "100"])
        let fromZero = "last_message_id=00000000-0000-0000-0000-000000000000"
        // A reading client gets the replay cut to half the budget, and the way to go on.
        let reader = try relay.socket(f.admin, query: fromZero)
        let replayed = try await reader.next(type: "replayed")
        #expect(replayed.data["truncated"] as? Bool == true)
        let count = try #require(replayed.data["count"] as? Int)
        #expect(count > 0 && count < 20, "\(count) messages of about 9 KB in 128 KiB")
        // A fresh socket's unread messages are cut the same way, and its `replayed` says so, with no cursor.
        let fresh = try relay.socket(f.admin)
        let freshReplayed = try await fresh.next(type: "replayed")
        #expect(freshReplayed.data["truncated"] as? Bool == true && freshReplayed.data["cursor"] is NSNull)
        #expect(fresh.all(type: "message").count == freshReplayed.data["count"] as? Int)
        try fresh.sendClose()
        try reader.sendClose()
        try await waitFor("the reader gone") { try await relay.socketCount() == 0 }
        let before = relay.residentKiB

        let stalled = try (0..<40).map { _ in try relay.socket(f.admin, query: fromZero, readBuffer: 4096, startReading: false) }
        try await waitFor("the sockets registered") { try await relay.socketCount() == 40 }
        // Live messages keep coming: each socket's queue grows until it is over its budget.
        try Self.insertMessages(db, 400, into: conversation.id, from: f.alice.id, content: "live " + long)
        let started = ContinuousClock.now
        var peak = before
        try await waitFor("every non-reading socket cut off", timeout: 30) {
            peak = max(peak, relay.residentKiB)
            return try await relay.socketCount() == 0
        }
        #expect(ContinuousClock.now - started < .seconds(8))
        let growth = peak - before
        // Unbounded, each socket would hold 400 live frames of 9 KB: 3.6 MB, 144 MB for 40.
        #expect(growth < 48_000, "resident memory grew by \(growth) KiB")
        for socket in stalled { socket.startReading() }
        try await waitFor("the clients see their connections end") { stalled.allSatisfy(\.isClosed) }
        #expect(stalled.allSatisfy { $0.all(type: "message").count < 500 })
        db.close()
        try await relay.stop()
    }
}

extension SocketLimitsTests {
    /// Inserts `count` messages in one statement (a loop of inserts would hold a thread of the tests' small
    /// cooperative pool for seconds): "<n> <content>", n from 1.
    static func insertMessages(_ db: PostgresConnection, _ count: Int, into conversation: UUID, from sender: UUID, content: String) throws {
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, n || ' ' || $3 FROM generate_series(1, $4::int) n",
            [conversation, sender, content, count])
    }

    /// Alice's conversation and 19 others': 10,000 inserts into one conversation in one transaction take half a minute
    /// (each updates its row, whose versions the transaction cannot prune), spread over these they take a second.
    static func spreadConversations(_ db: PostgresConnection, _ f: Fixtures) throws -> [UUID] {
        var conversations = [try ConversationRepository.insert(db, userId: f.alice.id).id]
        for n in 1..<20 {
            let user = try UserRepository.insert(db, username: "user\(n)", displayName: "User \(n)")
            conversations.append(try ConversationRepository.insert(db, userId: user.id).id)
        }
        return conversations
    }

    /// Inserts `count` messages in one statement, in turn into each of `conversations`: "<n> <content>", n from 1.
    static func insertSpread(_ db: PostgresConnection, _ count: Int, into conversations: [UUID], from sender: UUID, content: String) throws {
        try db.query(
            """
            INSERT INTO messages (conversation_id, sender_id, content)
            SELECT ($1::uuid[])[1 + n % cardinality($1::uuid[])], $2, n || ' ' || $3 FROM generate_series(1, $4::int) n
            """, [conversations, sender, content, count])
    }

    /// A socket (the admin's, reading nothing) whose queue holds long live messages beyond what the kernel buffers.
    static func stalledSocket(_ relay: TestRelay, _ admin: User, token: String? = nil, flooding db: PostgresConnection, as sender: User)
        async throws -> TestSocket
    {
        let path = "/ws/messages?token=\(token ?? relay.token(admin))"
        let socket = try TestSocket(port: relay.port, path: path, readBuffer: 4096, startReading: false)
        try await waitFor("the socket registered") { try await relay.socketCount() == 1 }
        let conversation = try ConversationRepository.find(db, userId: sender.id) ?? ConversationRepository.insert(db, userId: sender.id)
        let long = String(repeating: "long message body ", count: 500)
        // 7 MB: more than the kernel buffers for one connection (up to 4 MB of send buffer).
        try insertMessages(db, 800, into: conversation.id, from: sender.id, content: long)
        return socket
    }

    /// A burst of commits read as one batch (a bulk insert, a feed catching up) may hold more messages than a socket's
    /// queue has places: a client that reads them gets them all.
    @Test func aBatchLongerThanTheSendQueueReachesAClientThatReads() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["WS_SEND_QUEUE_FRAMES": "16"])
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let admin = try TestSocket(port: relay.port, path: "/ws/messages?token=\(relay.token(f.admin))", readBuffer: 4096)
        _ = try await admin.next(type: "replayed")
        try Self.insertMessages(db, 1000, into: conversation.id, from: f.alice.id, content: "in one batch")
        try await waitFor("a thousand messages", timeout: 30) { admin.all(type: "message").count == 1000 || admin.isClosed }
        #expect(admin.all(type: "message").count == 1000 && !admin.isClosed)
        db.close()
        try await relay.stop()
    }

    /// An admin back after 6,000 messages catches up a page at a time (`resume` after each truncated replay); a live
    /// message sent after the first page comes once, though every later page reaches past it.
    @Test func aCatchUpOfManyPagesSendsALiveMessageOnce() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let conversations = try Self.spreadConversations(db, f)
        let first = try relay.socket(f.admin)
        let cursor = try #require(try await first.next(type: "replayed").data["cursor"] as? String)
        try first.sendClose()
        // Another socket shows when the relay has delivered them: the admin's comes back after that.
        let watcher = try relay.socket(f.alice)
        _ = try await watcher.next(type: "replayed")
        try Self.insertSpread(db, 6000, into: conversations, from: f.alice.id, content: "while away")
        try await waitFor("the relay to deliver them", timeout: 30) { watcher.all(type: "message").count == 300 }
        let admin = try relay.socket(f.admin, query: "cursor=\(cursor)")
        var page = try await admin.next(type: "replayed", timeout: 30)
        let live = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "live"])
        let liveId = try #require(live.object.string("id"))
        _ = try await admin.next { $0.type == "message" && $0.data["id"] as? String == liveId }
        var pages = 1
        while page.data["truncated"] as? Bool == true, pages < 20 {
            let last = try #require(admin.all(type: "message").last { $0.data["content"] as? String != "live" }?.data["cursor"] as? String)
            try admin.send(["type": "resume", "data": ["cursor": last]])
            page = try await admin.next(type: "replayed", timeout: 30)
            pages += 1
        }
        #expect(
            pages >= 6 && page.data["truncated"] as? Bool == false,
            "\(pages) pages, \(admin.all(type: "message").count) messages, last \(page.object)")
        let ids = admin.all(type: "message").compactMap { $0.data["id"] as? String }
        #expect(ids.count == 6000 && Set(ids).count == 6000 && !ids.contains(liveId))
        db.close()
        try await relay.stop()
    }

    /// One bulk read marks hundreds of messages: their receipts reach sockets that read normally, in one unit of each
    /// socket's queue, not one place per receipt (which cut both parties' sockets off).
    @Test func aBulkReadsReceiptsReachClientsThatRead() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["WS_SEND_QUEUE_FRAMES": "16"])
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try Self.insertMessages(db, 200, into: conversation.id, from: f.admin.id, content: "a reply")
        // Without a cursor, alice's socket first replays her 200 unread messages.
        let alice = try TestSocket(port: relay.port, path: "/ws/messages?token=\(relay.token(f.alice))", readBuffer: 4096)
        let admin = try TestSocket(port: relay.port, path: "/ws/messages?token=\(relay.token(f.admin))", readBuffer: 4096)
        _ = try await alice.next(type: "replayed")
        _ = try await admin.next(type: "replayed")
        let read = try await relay.request(
            "PATCH", "/api/messages/bulk-read", token: relay.token(f.alice), json: ["conversation_id": conversation.id.lowercasedString])
        #expect(read.status == 200)
        for socket in [alice, admin] {
            try await waitFor("200 receipts", timeout: 30) { socket.all(type: "message_read").count == 200 || socket.isClosed }
            #expect(socket.all(type: "message_read").count == 200 && !socket.isClosed)
        }
        db.close()
        try await relay.stop()
    }

    /// A relay that finds more than 10,000 messages committed since its last batch (cut off from the database while
    /// others wrote) reads none of them: its sockets are closed with 1013 and resume from their cursors, a page at a
    /// time; what commits next is delivered live.
    @Test func aBatchBeyondWhatASweepReadsSendsEverySocketToResume() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let conversations = try Self.spreadConversations(db, f)
        let admin = try relay.socket(f.admin)
        let cursor = try #require(try await admin.next(type: "replayed").data["cursor"] as? String)
        let alice = try relay.socket(f.alice)
        _ = try await alice.next(type: "replayed")
        try Self.insertSpread(db, 10_001, into: conversations, from: f.admin.id, content: "while the relay was away")
        for socket in [admin, alice] {
            let close = try await socket.next(timeout: 30) { $0.isClose }
            #expect(close.closeCode == 1013)
            #expect(socket.all(type: "message").isEmpty)
        }
        let resumed = try relay.socket(f.admin, query: "cursor=\(cursor)")
        let replayed = try await resumed.next(type: "replayed", timeout: 30)
        #expect(replayed.data["count"] as? Int == 1000 && replayed.data["truncated"] as? Bool == true)
        let firstPage = resumed.all(type: "message").compactMap { $0.data["content"] as? String }
        #expect(firstPage.count == 1000 && firstPage.first == "1 while the relay was away")
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "live again"])
        #expect(sent.status == 201)
        let live = try await resumed.next { $0.type == "message" && $0.data["content"] as? String == "live again" }
        #expect(live.data["cursor"] != nil && !resumed.isClosed)
        db.close()
        try await relay.stop()
    }

    @Test func framesThatCannotBeWrittenForTheWriteTimeoutCutTheClientOff() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(
            database: database,
            environment: [
                "WS_MAX_QUEUED_BYTES": "100000000", "WS_SEND_QUEUE_FRAMES": "100000", "WS_WRITE_TIMEOUT_SECONDS": "2",
                "WS_IDLE_TIMEOUT_SECONDS": "120",
            ])
        let started = ContinuousClock.now
        _ = try await Self.stalledSocket(relay, f.admin, flooding: db, as: f.alice)
        try await waitFor("the stalled socket cut off", timeout: 60) { try await relay.socketCount() == 0 }
        // Neither the idle timeout (120 s) nor a budget (100 MB, 100,000 frames) did it.
        #expect(ContinuousClock.now - started < .seconds(60))
        db.close()
        try await relay.stop()
    }

    @Test func aCloseThatCannotBeFlushedEndsWithinSeconds() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(
            database: database,
            environment: ["WS_MAX_QUEUED_BYTES": "100000000", "WS_SEND_QUEUE_FRAMES": "100000", "WS_WRITE_TIMEOUT_SECONDS": "600"])
        // The token expires in 3 s: the relay then closes the socket, behind a queue the client never reads.
        let socket = try await Self.stalledSocket(relay, f.admin, token: relay.token(f.admin, ttl: 3), flooding: db, as: f.alice)
        let expiry = ContinuousClock.now + .seconds(3)
        try await waitFor("the socket closed", timeout: 20) { try await relay.socketCount() == 0 }
        #expect(ContinuousClock.now - expiry < .seconds(9), "closed within the 6 s deadline (and a sweep's second)")
        socket.startReading()
        try await waitFor("the client sees the end") { socket.isClosed }
        db.close()
        try await relay.stop()
    }
}

extension SocketLimitsTests {
    /// A client that ends its connection without a close frame is forgotten at once, not at the idle timeout, and
    /// no longer gets frames.
    @Test func aClientThatVanishesIsForgottenAtOnce() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_IDLE_TIMEOUT_SECONDS": "120"])
        let sockets = [try await Self.connected(relay, f.alice), try await Self.connected(relay, f.bob)]
        // Counted once registered, which may come a moment after `connected` on a loaded machine.
        try await waitFor("both sockets counted") { try await relay.socketCount() == 2 }
        sockets[0].vanish()
        try await waitFor("the vanished socket forgotten", timeout: 10) { try await relay.socketCount() == 1 }
        try await waitFor("the client sees its connection end") { sockets[0].isClosed }
        try sockets[1].send(.ping)
        _ = try await sockets[1].next(type: "pong")
        try await relay.stop()
    }

    /// A client that stops reading and sends protocol-level pings as fast as it can: the pongs are not kept (they were,
    /// every one, in the relay's memory: 50 MB for 150,000), and past its ping limit the socket is closed.
    @Test func pingsFromAClientThatDoesNotReadTakeNoMemory() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        let socket = try relay.socket(f.alice, readBuffer: 4096, startReading: false)
        try await waitFor("the socket to be registered") { try await relay.socketCount() == 1 }
        let before = relay.residentKiB
        let payload = [UInt8](repeating: 0x70, count: 125)
        // Sending fails once the relay has closed the connection.
        for _ in 0..<100_000 { guard (try? socket.sendPing(payload)) != nil else { break } }
        try await waitFor("the socket to be closed", timeout: 20) { try await relay.socketCount() == 0 }
        let grown = relay.residentKiB - before
        #expect(grown < 8 * 1024, "the relay grew by \(grown) KiB for the pings of one socket")
        db.close()
        try await relay.stop()
    }
}
