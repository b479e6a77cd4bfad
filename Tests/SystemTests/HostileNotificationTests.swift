import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MsgLib

/// A push service that answers with hostile values must not hurt anyone else's notifications: whatever it puts in
/// `Retry-After` or its body, the outbox records its jobs' outcomes and the round commits, so the others'
/// notifications are delivered once each and on time (a failed round would send all of them again, round after
/// round).
@Suite(.needsProcesses, .processSlot) struct HostileNotificationTests {
    /// What the hostile push service answers, by path.
    static let answers: [String: (status: Int, headers: [(name: String, value: String)], body: String)] = [
        "/evil/huge": (429, [("Retry-After", "10000000000000")], ""),
        "/evil/enormous": (503, [("Retry-After", "99999999999999999999999999999999999999")], ""),
        "/evil/date": (503, [("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")], ""),
        "/evil/negative": (429, [("Retry-After", "-99999999999999999999")], ""),
        "/evil/garbage": (503, [("Retry-After", "soon, maybe; 1e999")], ""),
        "/evil/nul": (400, [], "bad\u{0}request"),
    ]
    /// The paths whose `Retry-After` asks for more than the cap: one attempt, then the cap (3600 s).
    static let capped = ["/evil/huge", "/evil/enormous", "/evil/date"]

    @Test func aHostilePushServiceDelaysNobodyElse() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let hostile = try RecordingHTTPServer()
        hostile.respond { request in
            let answer = Self.answers[request.path] ?? (500, [], "")
            return .init(status: answer.status, headers: answer.headers, text: answer.body)
        }
        let good = try RecordingHTTPServer()
        good.respond { _ in .init(status: 201) }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        // Alice's browsers all sit on the hostile service; Bob's and the admin's on a good one.
        for path in Self.answers.keys.sorted() {
            let status = try await relay.request(
                "POST", "/api/push/subscribe", token: relay.token(f.alice), json: PushBrowser(endpoint: hostile.url(path)).subscribeBody
            ).status
            #expect(status == 201)
        }
        for (user, path) in [(f.bob, "/bob"), (f.admin, "/admin")] {
            let status = try await relay.request(
                "POST", "/api/push/subscribe", token: relay.token(user), json: PushBrowser(endpoint: good.url(path)).subscribeBody
            ).status
            #expect(status == 201)
        }

        var conversations: [String] = []
        for user in [f.alice, f.bob] {
            let sent = try await relay.request("POST", "/api/messages", token: relay.token(user), json: ["content": "hello from \(user.username)"])
            conversations.append(try #require(sent.object.string("conversation_id")))
        }
        // Replies to both, close together: Alice's hostile jobs and Bob's share rounds.
        let start = Date()
        for round in 0..<3 {
            for conversation in conversations {
                let reply = try await relay.request(
                    "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversation, "content": "reply \(round)"])
                #expect(reply.status == 201)
            }
        }
        // Delivered and committed: the good subscriptions have no job left.
        try await waitFor("the good notifications to be delivered", timeout: 15) {
            try db.scalar(
                """
                SELECT count(*) FROM notification_outbox o JOIN push_subscriptions p ON p.id = o.subscription_id
                WHERE p.endpoint LIKE $1 || '%'
                """, [good.url("/")], as: Int.self) == 0
        }
        // Once each: 2 messages to the admin, 3 replies to Bob, and on time.
        let delivered = good.requests
        #expect(delivered.filter { $0.path == "/admin" }.count == 2)
        #expect(delivered.filter { $0.path == "/bob" }.count == 3)
        #expect(Date().timeIntervalSince(start) < 10)

        // The hostile asks were capped at OUTBOX_MAX_RETRY_DELAY_SECONDS: one attempt each, the next in an hour.
        for path in Self.capped {
            let rows = try db.query(
                """
                SELECT o.attempts, extract(epoch FROM o.available_at - now())::float8, o.failed_at IS NULL
                FROM notification_outbox o JOIN push_subscriptions p ON p.id = o.subscription_id WHERE p.endpoint = $1
                """, [hostile.url(path)])
            #expect(rows.count == 3, "\(path)")
            for row in rows {
                #expect(try row.decode(0, as: Int.self) == 1, "\(path)")
                let wait = try row.decode(1, as: Double.self)
                #expect(wait > 3500 && wait <= 3600, "\(path): \(wait)")
                #expect(try row.decode(2, as: Bool.self), "\(path)")
            }
            #expect(hostile.requests.filter { $0.path == path }.count == 3, "\(path)")
        }
        // The 400 with a NUL in its body: given up, its reason stored without the NUL.
        let reasons = try db.query(
            """
            SELECT o.last_error FROM notification_outbox o JOIN push_subscriptions p ON p.id = o.subscription_id
            WHERE p.endpoint = $1 AND o.failed_at IS NOT NULL
            """, [hostile.url("/evil/nul")]
        ).map { try $0.decode(0, as: String.self) }
        #expect(reasons.count == 3)
        #expect(reasons.allSatisfy { $0 == "push service answered 400: bad request" }, "\(reasons)")
        try await relay.stop()
        hostile.stop()
        good.stop()
    }

    /// Even an outcome the database refuses (here a trigger stands in for any such refusal) undoes nothing else:
    /// the round records the others, and that job waits the longest retry delay.
    /// A push service that takes 8 s to answer: its first attempt holds up the others' first attempts 3 s at most,
    /// and its retries (which wait the full time, and succeed) hold up no first attempt at all.
    /// A round holds its jobs' row locks while it waits for the push service: a server that ends sessions idle in a
    /// transaction (`idle_in_transaction_session_timeout` on the database) would release them mid-request, and the
    /// jobs, never recorded, would be sent again round after round. The outbox's connections opt out of it.
    @Test func aServerTimeoutForIdleTransactionsDoesNotRepeatNotifications() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let name = try db.scalar("SELECT current_database()", as: String.self)
        try db.execute("ALTER DATABASE \"\(name)\" SET idle_in_transaction_session_timeout = '1s'")
        let push = try RecordingHTTPServer()
        push.respond { _ in .init(status: 201, delay: .seconds(2)) }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        let subscribed = try await relay.request(
            "POST", "/api/push/subscribe", token: relay.token(f.alice), json: PushBrowser(endpoint: push.url("/alice")).subscribeBody)
        #expect(subscribed.status == 201)
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "hello"])
        let conversation = try #require(sent.object.string("conversation_id"))
        let reply = try await relay.request(
            "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversation, "content": "to alice"])
        #expect(reply.status == 201)
        try await waitFor("the notification to be recorded", timeout: 20) {
            try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0
        }
        // Rounds after it would have sent it again every few seconds.
        try await Task.sleep(for: .seconds(5))
        #expect(push.requests.count == 1)
        push.stop()
        try await relay.stop()
    }

    @Test func aSlowPushServiceHoldsUpOnlyRetries() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        // Its first answer would take a minute (a first attempt is cut at 3 s), its second 8 s (a retry has 10 s).
        let slow = try RecordingHTTPServer()
        let asked = Mutex(0)
        slow.respond { _ in
            let count = asked.withLock { count in
                count += 1
                return count
            }
            return .init(status: 201, delay: .seconds(count == 1 ? 60 : 8))
        }
        let good = try RecordingHTTPServer()
        good.respond { _ in .init(status: 201) }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        for (user, url) in [(f.alice, slow.url("/alice")), (f.bob, good.url("/bob"))] {
            let subscribed = try await relay.request(
                "POST", "/api/push/subscribe", token: relay.token(user), json: PushBrowser(endpoint: url).subscribeBody)
            #expect(subscribed.status == 201)
        }
        var conversations: [String] = []
        for user in [f.alice, f.bob] {
            let sent = try await relay.request("POST", "/api/messages", token: relay.token(user), json: ["content": "hello from \(user.username)"])
            conversations.append(try #require(sent.object.string("conversation_id")))
        }
        func reply(_ conversation: String, _ text: String) async throws {
            let sent = try await relay.request(
                "POST", "/api/messages", token: relay.token(f.admin), json: ["conversation_id": conversation, "content": text])
            #expect(sent.status == 201)
        }
        // Alice's first attempt is cut at 3 s; Bob's, right after, is not held up longer than that.
        let start = ContinuousClock.now
        try await reply(conversations[0], "to alice")
        _ = try await slow.waitForRequests(count: 1)
        try await reply(conversations[1], "to bob 1")
        _ = try await good.waitForRequests(count: 1)
        #expect(ContinuousClock.now - start < .seconds(30), "Bob's first notification took \(ContinuousClock.now - start)")
        // Alice's retry waits its 8 s and is delivered; meanwhile Bob's next notification goes out at once.
        _ = try await slow.waitForRequests(count: 2, timeout: .seconds(20))
        let retrying = ContinuousClock.now
        try await reply(conversations[1], "to bob 2")
        _ = try await good.waitForRequests(count: 2)
        #expect(ContinuousClock.now - retrying < .seconds(6), "Bob's notification waited \(ContinuousClock.now - retrying) for Alice's retry")
        try await waitFor("Alice's retry to be delivered", timeout: 30) {
            try database.connect().scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0
        }
        slow.stop()
        good.stop()
        try await relay.stop()
    }

    /// A first attempt that failed is retried by the other lane's worker as soon as it is due (the first lane wakes it),
    /// not at that worker's next look, seconds later.
    @Test func aFailedFirstAttemptIsRetriedWhenDue() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let service = try RecordingHTTPServer()
        defer { service.stop() }
        let arrivals = Mutex<[Date]>([])
        service.respond { _ in
            let count = arrivals.withLock {
                $0.append(Date())
                return $0.count
            }
            return count % 2 == 1 ? .init(status: 500) : .init(status: 201)
        }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        let subscribed = try await relay.request(
            "POST", "/api/push/subscribe", token: relay.token(f.admin), json: PushBrowser(endpoint: service.url("/admin")).subscribeBody)
        #expect(subscribed.status == 201)
        // Twice, at moments unrelated to the retries worker's 5 s idle wait (where it would otherwise look again).
        for round in 1...2 {
            #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "hello \(round)"]).status == 201)
            _ = try await service.waitForRequests(count: 2 * round, timeout: .seconds(15))
            let times = arrivals.withLock { $0 }
            let gap = times[2 * round - 1].timeIntervalSince(times[2 * round - 2])
            // OUTBOX_RETRY_BASE_SECONDS is 0.2: due within 0.2 s.
            #expect(gap < 1.5, "the retry came \(gap) s after the first attempt")
            try await Task.sleep(for: .milliseconds(1700))
        }
        try await relay.stop()
    }

    @Test func anOutcomeTheDatabaseRefusesUndoesNoOther() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        try db.execute(
            """
            CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.last_error LIKE '%poison%' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_poison BEFORE UPDATE ON notification_outbox FOR EACH ROW EXECUTE FUNCTION refuse_poison();
            """)
        let push = try RecordingHTTPServer()
        push.respond { request in request.path == "/poison" ? .init(status: 400, text: "poison") : .init(status: 201) }
        let relay = try await TestRelay(database: database, environment: PushEnvironment.variables)
        for path in ["/poison", "/a", "/b"] {
            let status = try await relay.request(
                "POST", "/api/push/subscribe", token: relay.token(f.admin), json: PushBrowser(endpoint: push.url(path)).subscribeBody
            ).status
            #expect(status == 201)
        }
        for n in 0..<3 {
            #expect(try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "m\(n)"]).status == 201)
        }
        try await waitFor("the good notifications to be delivered", timeout: 15) {
            try db.scalar(
                "SELECT count(*) FROM notification_outbox o JOIN push_subscriptions p ON p.id = o.subscription_id WHERE p.endpoint <> $1",
                [push.url("/poison")], as: Int.self) == 0
        }
        #expect(push.requests.filter { $0.path == "/a" }.count == 3)
        #expect(push.requests.filter { $0.path == "/b" }.count == 3)
        let poisoned = try db.query(
            "SELECT last_error, extract(epoch FROM available_at - now())::float8, failed_at IS NULL FROM notification_outbox")
        #expect(poisoned.count == 3)
        for row in poisoned {
            #expect(try row.decode(0, as: String?.self)?.contains("could not be recorded") == true)
            #expect(try row.decode(1, as: Double.self) > 3500)
            #expect(try row.decode(2, as: Bool.self))
        }
        #expect(push.requests.filter { $0.path == "/poison" }.count == 3)
        try await relay.stop()
        push.stop()
    }
}
