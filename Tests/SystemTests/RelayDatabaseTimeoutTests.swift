import Foundation
import MsgLib
import TestSupport
import Testing

/// A request that cannot get a database connection in time, or whose statement runs out of time, is answered 503 with
/// a `Retry-After`, and the relay serves again once the database does.
@Suite(.needsProcesses, .processSlot) struct RelayDatabaseTimeoutTests {
    @Test func busyPoolAndSlowStatementAnswer503WithRetryAfter() async throws {
        let database = try await TestDatabase.create()
        let setup = try database.connect()
        let f = try Fixtures.make(setup)
        let relay = try await TestRelay(
            database: database,
            environment: ["DATABASE_POOL_SIZE": "1", "DATABASE_POOL_TIMEOUT_SECONDS": "0.5", "DATABASE_STATEMENT_TIMEOUT_SECONDS": "8"])
        let token = relay.token(f.alice)
        // The one connection is the relay's to share (its workers too): on a loaded machine a request may find it busy
        // for more than half a second.
        func served() async throws {
            try await waitFor("a request to be served", timeout: 60) {
                try await relay.request("GET", "/api/conversations", token: token).status == 200
            }
        }
        try await served()
        // Another session locks what the listing reads: the request holding the only connection waits on the lock.
        let locker = try database.connect()
        try locker.execute("BEGIN; LOCK TABLE users, conversations IN ACCESS EXCLUSIVE MODE")
        let slow = Task { try await relay.request("GET", "/api/conversations", token: token) }
        // The request's connection (the relay's delivery connections, named apart, may wait on the lock too).
        try await waitFor("the request to wait on the lock", timeout: 60) {
            try setup.scalar(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = 'msgrelay'
                """, as: Int.self) > 0
        }
        let queued = try await relay.request("GET", "/api/conversations", token: token)
        #expect(queued.status == 503)
        #expect(queued.headers["retry-after"] == "1")
        #expect(queued.error == "Database unavailable")
        let timedOut = try await slow.value
        #expect(timedOut.status == 503)
        #expect(timedOut.headers["retry-after"] == "5")
        try locker.execute("ROLLBACK")
        try await served()
        try await relay.stop()
        #expect(relay.process.text.contains("no database connection free within 0.5 s"))
        #expect(relay.process.text.contains("statement timeout"))
    }
}
