import Foundation
import MsgLib
import RelayClient
import TestSupport
import Testing

/// Messages whose ids and commits disagree: a transaction that inserted X is held open while Y (a later id) is sent
/// and delivered; the client disconnects; X commits; the client resumes from Y's cursor and gets X, once.
@Suite(.needsProcesses, .processSlot) struct CommitOrderTests {
    static let unlimited: [String: String?] = [
        "MESSAGE_RATE_LIMIT_PER_MINUTE": "0", "MESSAGE_RATE_LIMIT_PER_HOUR": "0", "MESSAGE_RATE_LIMIT_PER_DAY": "0",
    ]

    /// A message inserted by a transaction the test holds open (as a slow writer would): `commit()` ends it.
    struct HeldInsert {
        let db: PostgresConnection
        let id: String

        init(_ database: TestDatabase, conversation: UUID, sender: UUID, content: String) throws {
            db = try database.connect()
            try db.execute("BEGIN")
            id = try db.query(
                "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, $3) RETURNING id::text", [conversation, sender, content]
            )[0].decode(0, as: String.self)
        }

        func commit() throws {
            try db.execute("COMMIT")
            db.close()
        }
    }

    /// Two users with a conversation each, `relays` relays, and the admin's socket on the last one.
    struct Setup {
        let database: TestDatabase
        let f: Fixtures
        let relays: [TestRelay]
        let alices: Conversation
        let bobs: Conversation
        let admin: TestSocket

        init(relays count: Int) async throws {
            database = try await TestDatabase.create()
            let db = try database.connect()
            f = try Fixtures.make(db)
            var relays: [TestRelay] = []
            for _ in 0..<count { relays.append(try await TestRelay(database: database, environment: CommitOrderTests.unlimited)) }
            self.relays = relays
            alices = try ConversationRepository.insert(db, userId: f.alice.id)
            bobs = try ConversationRepository.insert(db, userId: f.bob.id)
            db.close()
            admin = try relays[count - 1].socket(f.admin)
            _ = try await admin.next(type: "connected")
            // Its (empty) replay is over: what follows comes live, each message with its cursor.
            _ = try await admin.next(type: "replayed")
        }

        /// The admin sends to Bob through the first relay every 20 ms until `deadline` (milliseconds since 1970): the
        /// relay's own commits, which move its frontier on without a sweep. Returns the messages' ids.
        func adminKeepsSending(until deadline: Int64) async throws -> [String] {
            let token = relays[0].token(f.admin)
            var sent: [String] = []
            while Int64(Date().timeIntervalSince1970 * 1000) < deadline {
                let response = try await relays[0].request(
                    "POST", "/api/messages", token: token, json: ["conversation_id": bobs.id.lowercasedString, "content": "now \(sent.count)"])
                sent.append(try #require(response.object.string("id")))
                try await Task.sleep(for: .milliseconds(20))
            }
            return sent
        }

        /// Waits for message `id` on the admin's socket, closes it, and returns the frame's cursor.
        func adminCursor(after id: String?) async throws -> String {
            let frame = try await admin.next { $0.type == "message" && $0.data["id"] as? String == id }
            try admin.sendClose()
            return try #require(frame.data["cursor"] as? String)
        }

        func stop() async throws {
            for relay in relays { try await relay.stop() }
        }
    }

    /// Resumes from `cursor`, then sends a message through `barrier` (returning its id) and waits for it. The barrier
    /// comes from another writer (``sendElsewhere(_:_:_:)``, or another relay), which announces its commit: the relay
    /// delivers it with a sweep, with every message committed before it, so the ids before it are all the resume
    /// brought. (A message the relay commits itself goes out at once, possibly before another writer's earlier commit
    /// in another conversation.)
    /// Returns those ids and the cursor of the last frame that carried one (the barrier's).
    static func resume(
        _ relay: TestRelay, _ user: User, cursor: String, barrier: () async throws -> String
    ) async throws -> (ids: [String], cursor: String?) {
        let socket = try relay.socket(user, query: "cursor=\(cursor)")
        let replayed = try await socket.next(type: "replayed")
        let barrierId = try await barrier()
        let barrierFrame = try await socket.next { $0.type == "message" && $0.data["id"] as? String == barrierId }
        try socket.sendClose()
        // Taken frames (`replayed`, the barrier) are no longer in `received`: what is left came between them.
        var ids: [String] = []
        var last = replayed.data["cursor"] as? String
        for frame in socket.received where frame.type == "message" {
            ids.append(frame.data["id"] as? String ?? "?")
            last = frame.data["cursor"] as? String ?? last
        }
        return (ids, barrierFrame.data["cursor"] as? String ?? last)
    }

    /// Sends `content` as `user` the way msgctl does (outside any relay, announced after its commit); returns its id.
    static func sendElsewhere(_ database: TestDatabase, _ user: User, _ content: String) async throws -> String {
        let pool = database.pool(size: 1)
        let message = try await MessagingService(pool: pool).sendMessage(viewer: user, conversationId: nil, content: content)
        await pool.shutdown()
        return message.id.lowercasedString
    }

    /// SQL for a UUIDv7 whose clock is `millis` (an SQL expression) ahead of the server's.
    static func idAhead(by millis: String) -> String {
        "(lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::int8 + \(millis)), 12, '0') || '7abc8def0123456789ab')::uuid"
    }

    /// Sends `content` as `user` over REST and returns the message's id.
    static func send(_ relay: TestRelay, _ user: User, _ content: String) async throws -> String {
        let response = try await relay.request("POST", "/api/messages", token: relay.token(user), json: ["content": content])
        return try #require(response.object.string("id"))
    }

    @Test func anAdminResumingAcrossConversationsGetsTheLateCommitOnce() async throws {
        let setup = try await Setup(relays: 1)
        let (f, relay) = (setup.f, setup.relays[0])
        let x = try HeldInsert(setup.database, conversation: setup.alices.id, sender: f.alice.id, content: "X, committed late")
        let yId = try await Self.send(relay, f.bob, "Y")
        #expect(x.id < yId, "X's id comes first")
        let cursor = try await setup.adminCursor(after: yId)
        try x.commit()

        let resumed = try await Self.resume(relay, f.admin, cursor: cursor) { try await Self.sendElsewhere(setup.database, f.bob, "barrier") }
        #expect(resumed.ids == [x.id])
        // The id-based resume misses X: the race really happened.
        let legacy = try relay.socket(f.admin, query: "last_message_id=\(yId)")
        _ = try await legacy.next(type: "replayed")
        #expect(!legacy.all(type: "message").contains { $0.data["id"] as? String == x.id })
        // Resuming from the last cursor gives nothing again; a new message comes live, with a cursor.
        let again = try await Self.resume(relay, f.admin, cursor: try #require(resumed.cursor)) {
            try await Self.sendElsewhere(setup.database, f.alice, "Z")
        }
        #expect(again.ids == [])
        #expect(again.cursor != nil)
        try await setup.stop()
    }

    @Test func aUserResumingGetsAMessageWhoseTransactionStartedFirstButCommittedLast() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: Self.unlimited)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let alice = try relay.socket(f.alice)
        _ = try await alice.next(type: "connected")

        // The admin's transaction starts (and would stamp its start time), then waits before inserting.
        let slow = try database.connect()
        try slow.execute("BEGIN")
        _ = try slow.query("SELECT now()")
        let y = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "Y"])
        let yFrame = try await alice.next { $0.type == "message" && $0.data["id"] as? String == y.object.string("id") }
        let cursor = try #require(yFrame.data["cursor"] as? String)
        try alice.sendClose()
        let xId = try slow.query(
            "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, 'X') RETURNING id::text", [conversation.id, f.admin.id]
        )[0].decode(0, as: String.self)
        try slow.execute("COMMIT")
        slow.close()

        let resumed = try await Self.resume(relay, f.alice, cursor: cursor) { try await Self.sendElsewhere(database, f.alice, "barrier") }
        #expect(resumed.ids == [xId])
        // REST paging from Y's time finds X as well: created_at is taken at the insert, under the conversation's lock.
        let createdAt = try #require(y.object.string("created_at"))
        let page = try await relay.request(
            "GET", "/api/conversations/\(conversation.id.lowercasedString)/messages?after=\(createdAt)", token: relay.token(f.alice))
        let paged = page.object.array("messages").compactMap { $0["id"] as? String }
        let yId = try #require(y.object.string("id"))
        #expect(paged.first == xId && !paged.contains(yId))
        try await relay.stop()
    }

    @Test func aCursorFromOneRelayResumesOnAnother() async throws {
        let setup = try await Setup(relays: 2)
        let (f, one, two) = (setup.f, setup.relays[0], setup.relays[1])
        let x = try HeldInsert(setup.database, conversation: setup.alices.id, sender: f.alice.id, content: "X")
        let cursor = try await setup.adminCursor(after: try await Self.send(one, f.bob, "Y through relay one"))
        try x.commit()
        // More traffic after X, through relay one: the resume gets it too, each once. W may come before X: relay one
        // delivers what it commits at once, and X (another conversation, another writer) with its next sweep.
        let w = try await Self.send(one, f.bob, "W")

        let resumed = try await Self.resume(one, f.admin, cursor: cursor) { try await Self.send(two, f.alice, "barrier") }
        #expect(resumed.ids.sorted() == [x.id, w].sorted())
        try await setup.stop()
    }

    /// Within a conversation, messages go out in commit order even when the later one was committed by the relay
    /// itself and the earlier one by another writer the relay has not swept yet.
    @Test func aConversationsMessagesArriveInCommitOrderWhateverWroteThem() async throws {
        let setup = try await Setup(relays: 1)
        let (f, relay) = (setup.f, setup.relays[0])
        // X holds Alice's conversation (its insert updated the row); Y, through the relay, waits for it.
        let x = try HeldInsert(setup.database, conversation: setup.alices.id, sender: f.admin.id, content: "X, from another writer")
        let y = Task { try await Self.send(relay, f.alice, "Y, through the relay") }
        let db = try setup.database.connect()
        let deadline = ContinuousClock.now + .seconds(60)
        while try db.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", as: Int.self)
            == 0
        {
            try #require(ContinuousClock.now < deadline, "Y never waited for X")
            try await Task.sleep(for: .milliseconds(5))
        }
        try x.commit()
        let yId = try await y.value
        let first = try await setup.admin.next(type: "message")
        let second = try await setup.admin.next(type: "message")
        #expect([first, second].map { $0.data["id"] as? String } == [x.id, yId])
        try await setup.stop()
    }

    @Test func msgctlAsTheWriterWithALateCommitElsewhere() async throws {
        let setup = try await Setup(relays: 1)
        let (f, relay) = (setup.f, setup.relays[0])
        let x = try HeldInsert(setup.database, conversation: setup.alices.id, sender: f.alice.id, content: "X")
        let reply = try await ProcessRunner.ours("msgctl", ["reply", "bob", "Y from msgctl"], environment: ["DATABASE_URL": setup.database.conninfo])
        #expect(reply.status == 0, "\(reply.stderr)")
        let cursor = try await setup.adminCursor(after: reply.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        try x.commit()

        let resumed = try await Self.resume(relay, f.admin, cursor: cursor) { try await Self.sendElsewhere(setup.database, f.bob, "barrier") }
        #expect(resumed.ids == [x.id])
        try await setup.stop()
    }

    /// A batch interrupted in the middle: the client processed only the first of two messages committed together.
    @Test func resumingFromTheMiddleOfABatchReplaysTheRestOfIt() async throws {
        let setup = try await Setup(relays: 1)
        let (f, relay, admin) = (setup.f, setup.relays[0], setup.admin)
        // One transaction, two conversations: the same batch.
        let writer = try setup.database.connect()
        try writer.execute("BEGIN")
        let ids = try [(setup.alices.id, f.alice.id), (setup.bobs.id, f.bob.id)].map { conversation, sender in
            try writer.query(
                "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, 'pair') RETURNING id::text", [conversation, sender]
            )[0].decode(0, as: String.self)
        }
        try writer.execute("COMMIT")
        writer.close()
        try await waitFor("both messages") { admin.all(type: "message").count == 2 }
        let frames = admin.all(type: "message")
        #expect(frames.compactMap { $0.data["id"] as? String } == ids.sorted())
        let first = try #require(frames[0].data["cursor"] as? String)
        try admin.sendClose()

        let resumed = try await Self.resume(relay, f.admin, cursor: first) { try await Self.sendElsewhere(setup.database, f.alice, "barrier") }
        #expect(resumed.ids == [ids.sorted()[1]])
        try await setup.stop()
    }

    /// A message whose id is ahead of the database's clock (the clock went back after the id was made, or the id was
    /// given by hand) goes out once, when the clock has passed it, however many sweeps come before; one more than a
    /// day ahead does not go out live at all (REST lists it). Neither comes back on resume.
    @Test func aMessageWhoseIdIsAheadOfTheClockGoesOutOnce() async throws {
        let setup = try await Setup(relays: 1)
        let (f, relay, admin) = (setup.f, setup.relays[0], setup.admin)
        let db = try setup.database.connect()
        let start = try await Self.send(relay, f.bob, "before")
        let startCursor = try #require(try await admin.next { $0.data["id"] as? String == start }.data["cursor"] as? String)
        func insert(aheadBy millis: Int64, _ content: String) throws -> String {
            try db.query(
                """
                INSERT INTO messages (id, conversation_id, sender_id, content)
                VALUES (\(Self.idAhead(by: "$1")), $2, $3, $4)
                RETURNING id::text
                """, [millis, setup.alices.id, f.alice.id, content])[0].decode(0, as: String.self)
        }
        // From another writer, as the admin (whom no rate limit counts): each brings a sweep.
        func barrier(_ content: String) async throws -> String {
            let pool = setup.database.pool(size: 1)
            let message = try await MessagingService(pool: pool).sendMessage(viewer: f.admin, conversationId: setup.bobs.id, content: content)
            await pool.shutdown()
            return message.id.lowercasedString
        }
        let soon = try insert(aheadBy: 3_000, "ahead by 3 s")
        let far = try insert(aheadBy: 365 * 86_400_000, "ahead by a year")
        // Sweeps (each message from another writer brings one) until the clock has passed the first, and one after.
        var barriers = 0
        while try db.scalar(
            "SELECT clock_timestamp() < to_timestamp($1::float8 / 1000) + interval '300 ms'", [UUID(uuidString: soon)!.v7Millis], as: Bool.self)
        {
            let barrier = try await barrier("barrier \(barriers)")
            _ = try await admin.next { $0.data["id"] as? String == barrier }
            barriers += 1
            try await Task.sleep(for: .milliseconds(100))
        }
        let last = try await barrier("last barrier")
        let lastCursor = try #require(try await admin.next { $0.data["id"] as? String == last }.data["cursor"] as? String)
        #expect(barriers >= 5)
        let delivered = admin.all(type: "message").compactMap { $0.data["id"] as? String }
        #expect(delivered == [soon], "sweeps before the clock passed it: \(barriers)")
        #expect(!delivered.contains(far))
        try admin.sendClose()

        // Resuming: from after it, nothing; from before both, the first once.
        let after = try await Self.resume(relay, f.admin, cursor: lastCursor) { try await barrier("check") }
        #expect(after.ids == [])
        let resumed = try await Self.resume(relay, f.admin, cursor: startCursor) { try await barrier("check 2") }
        #expect(resumed.ids.filter { $0 == soon }.count == 1)
        #expect(!resumed.ids.contains(far))
        let listed = try await relay.request("GET", "/api/conversations/\(setup.alices.id.lowercasedString)/messages", token: relay.token(f.admin))
        #expect(listed.status == 200)
        #expect(String(decoding: listed.body, as: UTF8.self).contains(far))
        db.close()
        try await setup.stop()
    }

    /// A message ahead of the clock waits for a sweep whose clock passes it; meanwhile this relay's own sends move
    /// its frontier on without a sweep, and must not move it past that message (it would count as delivered without
    /// ever going out).
    @Test func aMessageAheadOfTheClockIsNotPassedByTheRelaysOwnSends() async throws {
        let setup = try await Setup(relays: 1)
        let (f, admin) = (setup.f, setup.admin)
        let db = try setup.database.connect()
        let ahead = try db.query(
            """
            INSERT INTO messages (id, conversation_id, sender_id, content)
            VALUES (\(Self.idAhead(by: "2000")), $1, $2, 'ahead by 2 s')
            RETURNING id::text
            """, [setup.alices.id, f.alice.id])[0].decode(0, as: String.self)
        let sent = try await setup.adminKeepsSending(until: UUID(uuidString: ahead)!.v7Millis + 500)
        #expect(sent.count >= 20)
        _ = try await admin.next(timeout: 5) { $0.data["id"] as? String == ahead }
        let last = try #require(sent.last)
        _ = try await admin.next(timeout: 5) { $0.data["id"] as? String == last }
        // Once: no other frame of it came before the last send's.
        #expect(!admin.all(type: "message").contains { $0.data["id"] as? String == ahead })
        db.close()
        try await setup.stop()
    }

    /// The same for a reaction change whose id is ahead of the clock: it goes out once its clock is passed, not
    /// counted as delivered by the relay's own sends meanwhile.
    @Test func aReactionChangeAheadOfTheClockIsNotPassedByTheRelaysOwnSends() async throws {
        let setup = try await Setup(relays: 1)
        let (f, relay, admin) = (setup.f, setup.relays[0], setup.admin)
        let db = try setup.database.connect()
        let target = try await Self.send(relay, f.alice, "react to me")
        _ = try await admin.next { $0.data["id"] as? String == target }
        try db.query(
            """
            WITH r AS (INSERT INTO message_reactions (message_id, emoji, user_id) VALUES ($1::uuid, '🎉', $2) RETURNING message_id)
            INSERT INTO message_reaction_changes (change_id, message_id, conversation_id, user_id, emoji, added)
            SELECT \(Self.idAhead(by: "2000")),
                   message_id, $3, $2, '🎉', true FROM r
            """, [target, f.admin.id, setup.alices.id])
        let sent = try await setup.adminKeepsSending(until: Int64(Date().timeIntervalSince1970 * 1000) + 2500)
        let change = try await admin.next(timeout: 5) { $0.type == "reaction_changed" }
        #expect(change.data["message_id"] as? String == target && change.data["emoji"] as? String == "🎉")
        let last = try #require(sent.last)
        _ = try await admin.next(timeout: 5) { $0.data["id"] as? String == last }
        #expect(admin.all(type: "reaction_changed").isEmpty)
        db.close()
        try await setup.stop()
    }

    /// A message inserted in a savepoint (the Slack inbox does, and SQL may) leaves its subtransaction's id on the
    /// conversation row, which snapshots never list as running. A send that waited for that row, committed after it,
    /// must still go out after it, not before.
    @Test func aMessageInsertedInASavepointStaysAheadOfTheSendThatWaitedForIt() async throws {
        let setup = try await Setup(relays: 1)
        let (f, relay, admin) = (setup.f, setup.relays[0], setup.admin)
        let writer = try setup.database.connect()
        try writer.execute("BEGIN")
        _ = try writer.query("SELECT pg_current_xact_id()")
        try writer.execute("SAVEPOINT inbox")
        let early = try writer.query(
            "INSERT INTO messages (conversation_id, sender_id, content) VALUES ($1, $2, 'in a savepoint') RETURNING id::text",
            [setup.alices.id, f.admin.id])[0].decode(0, as: String.self)
        try writer.execute("RELEASE SAVEPOINT inbox")
        // A sweep while that transaction runs (another writer's message brings one).
        let barrier = try await Self.sendElsewhere(setup.database, f.bob, "barrier")
        _ = try await admin.next { $0.data["id"] as? String == barrier }
        // Alice's send waits for the conversation's row, then commits after the savepoint's transaction.
        let send = Task { try await Self.send(relay, f.alice, "after it") }
        let db = try setup.database.connect()
        try await waitFor("the send to wait for the row") {
            try db.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", as: Int.self) == 1
        }
        try writer.execute("COMMIT")
        let late = try await send.value
        let first = try await admin.next(timeout: 5) { [early, late].contains($0.data["id"] as? String ?? "") }
        #expect(first.data["id"] as? String == early, "the later commit came first")
        _ = try await admin.next(timeout: 5) { $0.data["id"] as? String == late }
        db.close()
        writer.close()
        try await setup.stop()
    }
}
