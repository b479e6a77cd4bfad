import Foundation
import MsgLib
import TestSupport
import Testing

/// A socket follows its credentials: it is closed (4401) when its token expires, and on every relay when its user is
/// deleted or gains or loses the admin flag; requests and frames act with the user's rights as stored now.
@Suite(.needsProcesses, .processSlot) struct SocketCredentialsTests {
    @Test func aSocketIsClosedWhenItsTokenExpires() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let token = relay.token(f.alice, ttl: 2)
        let alice = try TestSocket(port: relay.port, path: "/ws/messages?token=\(token)")
        _ = try await alice.next(type: "connected")
        let admin = try relay.socket(f.admin)
        _ = try await admin.next(type: "connected")

        let close = try await alice.next(timeout: 6) { $0.isClose }
        #expect(close.closeCode == 4401)
        #expect(String(decoding: close.payload.dropFirst(2), as: UTF8.self) == "Token expired")
        // The admin's token is still good: their socket stays.
        try admin.send(.ping)
        _ = try await admin.next(type: "pong")
        #expect(!admin.isClosed)
        try await relay.stop()
    }

    @Test func userChangesCloseTheirSocketsOnEveryRelay() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let carl = try UserRepository.insert(db, username: "carl", displayName: "Carl")
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let relays = [
            try await TestRelay(database: database, environment: CommitOrderTests.unlimited),
            try await TestRelay(database: database, environment: CommitOrderTests.unlimited),
        ]
        func connected(_ relay: TestRelay, _ user: User) async throws -> TestSocket {
            let socket = try relay.socket(user)
            _ = try await socket.next(type: "connected")
            return socket
        }
        let admins = [try await connected(relays[0], f.admin), try await connected(relays[1], f.admin)]
        let alice = try await connected(relays[1], f.alice)
        let bob = try await connected(relays[0], f.bob)
        let carls = try await connected(relays[1], carl)
        let adminToken = relays[0].token(f.admin)
        let path = "/api/conversations/\(conversation.id.lowercasedString)"
        #expect(try await relays[0].request("GET", path, token: adminToken).status == 200)
        let reply = try await relays[0].request(
            "POST", "/api/messages", token: adminToken, json: ["conversation_id": conversation.id.lowercasedString, "content": "noted"])
        let replyPath = "/api/messages/\(try #require(reply.object["id"] as? String))"

        try db.execute("UPDATE users SET display_name = 'Alice L.' WHERE id = '\(f.alice.id.lowercasedString)'")
        // Made admin: the user's socket was registered as a user's; it is closed, the others stay.
        try db.execute("UPDATE users SET is_admin = true WHERE id = '\(f.bob.id.lowercasedString)'")
        #expect(try await bob.next(timeout: 5) { $0.isClose }.closeCode == 4401)
        // Deleted: closed with the reason a refused token gets.
        try db.execute("DELETE FROM users WHERE id = '\(carl.id.lowercasedString)'")
        let carlClosed = try await carls.next(timeout: 5) { $0.isClose }
        #expect(carlClosed.closeCode == 4401 && String(decoding: carlClosed.payload.dropFirst(2), as: UTF8.self) == "Unknown user")
        // No longer admin: every socket of theirs, on both relays, and their requests are refused from then on.
        try db.execute("UPDATE users SET is_admin = false WHERE id = '\(f.admin.id.lowercasedString)'")
        for socket in admins { #expect(try await socket.next(timeout: 5) { $0.isClose }.closeCode == 4401) }
        try await waitFor("the former admin refused", timeout: 5) {
            try await relays[0].request("GET", path, token: adminToken).status == 403
        }
        #expect(try await relays[1].request("GET", path, token: relays[1].token(f.admin)).status == 403)
        // Nor can they edit or delete the reply they wrote as admin in Alice's conversation.
        #expect(try await relays[0].request("PATCH", replyPath, token: adminToken, json: ["content": "changed"]).status == 403)
        #expect(try await relays[0].request("DELETE", replyPath, token: adminToken).status == 403)
        let kept = try db.query("SELECT content, deleted_at IS NULL FROM messages WHERE id = $1::uuid", [String(replyPath.dropFirst(14))])[0]
        #expect(try kept.decode(0, as: String.self) == "noted" && kept.decode(1, as: Bool.self))
        // The name change, announced before the changes above, altered no right: nobody was closed.
        try alice.send(.ping)
        _ = try await alice.next(type: "pong")
        #expect(!alice.isClosed)
        db.close()
        for relay in relays { try await relay.stop() }
    }

    /// A change the relay cannot hear of (its listener is down and cannot reconnect) still takes effect at the next
    /// request: users are cached only while their changes are announced.
    @Test func aChangeMadeWhileTheListenerIsDownTakesEffectAtOnce() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let relay = try await TestRelay(database: database)
        let token = relay.token(f.admin)
        let path = "/api/conversations/\(conversation.id.lowercasedString)"
        _ = try await relay.process.waitForOutput("listener connected")
        // The admin is looked up (and, while the listener hears changes, cached); the pool keeps its connection.
        #expect(try await relay.request("GET", path, token: token).status == 200)
        #expect(try await relay.request("GET", path, token: token).status == 200)
        let socket = try relay.socket(f.admin)
        _ = try await socket.next(type: "replayed")

        // No new connection to the database, and the listener's is ended: it cannot come back.
        let server = PostgresConnection(conninfo: try TestEnvironment.serverConninfo)
        try server.connect()
        defer { server.close() }
        try server.execute("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS false")
        defer { try? server.execute("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true") }
        try db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'msgrelay-listener' AND datname = current_database()")
        _ = try await relay.process.waitForOutput("listener lost its database connection")
        try db.execute("UPDATE users SET is_admin = false WHERE id = '\(f.admin.id.lowercasedString)'")
        #expect(try await relay.request("GET", path, token: token).status == 403)
        // The admin's socket, which would get every conversation's messages, is closed too (its user is read again
        // every second while the listener is down).
        let closed = try await socket.next(timeout: 5) { $0.isClose }
        #expect(closed.closeCode == 4401)

        try server.execute("ALTER DATABASE \(database.name) ALLOW_CONNECTIONS true")
        db.close()
        try await relay.stop()
    }

    /// A token whose user does not exist (deleted, or not created yet) is refused; repeated, it costs no lookup (here the
    /// users are locked, and a lookup would wait for the statement timeout); once that user is created, their token
    /// is taken at once.
    @Test func anUnknownUsersTokenCostsNoLookupUntilUsersAreCreated() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        _ = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["DATABASE_STATEMENT_TIMEOUT_SECONDS": "1"])
        _ = try await relay.process.waitForOutput("listener connected")
        let id = UUID()
        let token = JWTSigner(secret: TestRelay.secret).token(for: id, ttl: 600)
        func status() async throws -> (Int, String?) {
            let answer = try await relay.request("GET", "/api/conversations", token: token)
            return (answer.status, answer.error)
        }
        #expect(try await status() == (401, "Unknown user"))

        let blocker = try database.connect()
        defer { blocker.close() }
        try blocker.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        for _ in 0..<3 { #expect(try await status() == (401, "Unknown user")) }
        try blocker.execute("ROLLBACK")

        _ = try db.query("INSERT INTO users (id, username, display_name, slug) VALUES ($1, 'newcomer', 'Newcomer', 'newcomer')", [id])
        try await waitFor("the new user let in", timeout: 5) { try await status().0 == 200 }
        db.close()
        try await relay.stop()
    }

    /// A change heard while the listener's catch-up keeps failing (held here by a lock on the messages it reads) takes
    /// effect at once: the demoted admin's socket is closed and their cached rights are forgotten.
    @Test func aChangeHeardDuringAFailingCatchUpTakesEffectAtOnce() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let relay = try await TestRelay(database: database, environment: ["DATABASE_STATEMENT_TIMEOUT_SECONDS": "1"])
        let token = relay.token(f.admin)
        let path = "/api/conversations/\(conversation.id.lowercasedString)"
        _ = try await relay.process.waitForOutput("listener connected")
        let socket = try relay.socket(f.admin)
        _ = try await socket.next(type: "replayed")

        let blocker = try database.connect()
        defer { blocker.close() }
        try blocker.execute("BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        try db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'msgrelay-listener' AND datname = current_database()")
        _ = try await relay.process.waitForOutput("listener catch-up failed", timeout: 30)
        // Listening again, so the admin is cached once read (the catch-up forgot every user when it began).
        #expect(try await relay.request("GET", path, token: token).status == 200)
        #expect(try await relay.request("GET", path, token: token).status == 200)

        try db.execute("UPDATE users SET is_admin = false WHERE id = '\(f.admin.id.lowercasedString)'")
        #expect(try await socket.next(timeout: 5) { $0.isClose }.closeCode == 4401)
        try await waitFor("the former admin refused", timeout: 5) {
            try await relay.request("GET", path, token: token).status == 403
        }
        // The catch-up was still failing all along.
        #expect(
            try db.scalar("SELECT count(*) FROM pg_locks WHERE relation = 'messages'::regclass AND mode = 'AccessExclusiveLock'", as: Int.self) == 1)

        try blocker.execute("ROLLBACK")
        db.close()
        try await relay.stop()
    }

    /// An admin demoted while their new socket waits to join (its cursor is ahead of this relay, which waits for a
    /// sweep, held here by a lock on the messages): the socket is closed once it joins, and gets no other user's message.
    @Test func rightsChangedBeforeTheSocketJoinedAreApplied() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        let blocker = try database.connect()
        try blocker.execute("BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        let millis = Int64(Date().timeIntervalSince1970 * 1000)
        let socket = try relay.socket(f.admin, query: "cursor=3.0..\(millis)~3.1000000000..\(millis)~")
        _ = try await socket.next(type: "connected")
        // A sweep reads the messages (and the reaction changes) on the relay's delivery connections.
        try await waitFor("the sweep the socket waits for to wait for the lock", timeout: 30) {
            try db.scalar(
                """
                SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()
                  AND application_name = 'msgrelay-delivery'
                """, as: Int.self) >= 1
        }
        try db.execute("UPDATE users SET is_admin = false WHERE id = '\(f.admin.id.lowercasedString)'")
        try blocker.execute("ROLLBACK")
        _ = try await MessagingService(pool: database.pool(size: 1)).sendMessage(viewer: f.bob, conversationId: nil, content: "bob's")
        let close = try await socket.next(timeout: 20) { $0.isClose }
        #expect(close.closeCode == 4401)
        #expect(socket.all(type: "message").isEmpty && socket.all(type: "replayed").isEmpty)
        db.close()
        try await relay.stop()
    }
}
