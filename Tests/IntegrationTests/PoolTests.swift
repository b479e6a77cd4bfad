import Foundation
import MsgLib
import TestSupport
import Testing

@Suite(.needsDatabase) struct PoolTests {
    @Test func concurrentCallersShareABoundedPool() async throws {
        let pool = try await TestDatabase.create().pool(size: 3)
        let pids = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    try await pool.withConnection { db in
                        try db.scalar("SELECT pg_backend_pid() FROM pg_sleep(0.02)", as: Int.self)
                    }
                }
            }
            return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
        #expect(pids.count <= 3)
        #expect(pool.statistics.open <= 3)
        #expect(pool.statistics.inUse == 0)
        await pool.shutdown()
        await #expect(throws: DatabaseError.self) { try await pool.withConnection { _ in 1 } }
    }

    @Test func transactionsCommitOrRollBack() async throws {
        let database = try await TestDatabase.create()
        let pool = database.pool(size: 1)
        try await pool.withConnection { db in try db.execute("CREATE TABLE t (n int)") }
        try await pool.withTransaction { db in try db.query("INSERT INTO t VALUES (1)") }
        await #expect(throws: DatabaseError.self) {
            try await pool.withTransaction { db in
                try db.query("INSERT INTO t VALUES (2)")
                try db.query("SELECT 1/0")
            }
        }
        // A transaction left open by a caller is rolled back before the connection is lent again.
        try await pool.withConnection { db in
            try db.execute("BEGIN")
            try db.query("INSERT INTO t VALUES (3)")
        }
        let values = try await pool.withConnection { db in try db.query("SELECT n FROM t ORDER BY n").map { try $0.decode(0, as: Int.self) } }
        #expect(values == [1])
        await pool.shutdown()
    }

    @Test func poolRecoversAfterServerRestart() async throws {
        let cluster = try PrivateCluster.start()
        defer { try? cluster.stop() }
        let pool = DatabasePool(configuration: .init(conninfo: cluster.conninfo, poolSize: 2))
        let first = try await pool.withConnection { db in try db.scalar("SELECT pg_backend_pid()", as: Int.self) }
        try cluster.stop()
        await #expect(throws: DatabaseError.self) { try await pool.withConnection { db in try db.query("SELECT 1") } }
        try cluster.start()
        var second = 0
        try await waitFor("the pool to reconnect") {
            second = try await pool.withConnection { db in try db.scalar("SELECT pg_backend_pid()", as: Int.self) }
            return true
        }
        #expect(second != first)
        // A restart while connections sit idle is noticed before they are lent.
        try cluster.restart()
        let value = try await pool.withConnection { db in try db.scalar("SELECT 7", as: Int.self) }
        #expect(value == 7)
        await pool.shutdown()
    }

    /// A caller waiting for a connection whose task is cancelled stops waiting at once, while the connection is still
    /// lent; the caller behind it keeps its place and is served next.
    @Test func aCancelledWaiterLeavesTheQueueAtOnce() async throws {
        let pool = try await TestDatabase.create().pool(size: 1)
        let (release, holding) = try await Self.holdTheOnlyConnection(of: pool)
        let waiter = Task { try await pool.withConnection { _ in 1 } }
        try await waitFor("the first waiter", timeout: 60) { pool.statistics.waiting == 1 }
        let next = Task { try await pool.withConnection { _ in 2 } }
        try await waitFor("the second waiter", timeout: 60) { pool.statistics.waiting == 2 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(pool.statistics.waiting == 1)
        #expect(pool.statistics.inUse == 1)
        release.signal()
        #expect(try await next.value == 2)
        #expect(try await holding.value == 0)
        #expect(pool.statistics.inUse == 0 && pool.statistics.waiting == 0)
        await pool.shutdown()
    }

    /// A caller that waits longer than the pool timeout fails with `.unavailable` (and a retry-after) in about that time,
    /// while the connection is still lent; once it comes back the pool serves as before.
    @Test func aWaiterFailsAfterThePoolTimeout() async throws {
        let database = try await TestDatabase.create()
        let pool = DatabasePool(configuration: DatabaseConfiguration(conninfo: database.conninfo, poolSize: 1, poolTimeout: .seconds(1)))
        let (release, holding) = try await Self.holdTheOnlyConnection(of: pool)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: DatabaseError.self) { try await pool.withConnection { _ in 1 } }
        let waited = clock.now - start
        #expect(error?.kind == .unavailable)
        #expect(error?.retryAfter == 1)
        #expect(error?.message == "no database connection free within 1 s")
        // The holder never lets go before this fails: only the deadline ends the wait. The upper bound allows for a
        // machine busy running the whole suite.
        #expect(waited >= .milliseconds(900) && waited < .seconds(120), "waited \(waited)")
        #expect(pool.statistics.waiting == 0 && pool.statistics.inUse == 1)
        release.signal()
        #expect(try await holding.value == 0)
        #expect(try await pool.withConnection { db in try db.scalar("SELECT 3", as: Int.self) } == 3)
        #expect(pool.statistics.inUse == 0 && pool.statistics.waiting == 0)
        await pool.shutdown()
    }

    /// A waiter served before its deadline keeps its connection; the deadline passing later changes nothing.
    @Test func aServedWaiterOutlivesItsDeadline() async throws {
        let database = try await TestDatabase.create()
        let pool = DatabasePool(configuration: DatabaseConfiguration(conninfo: database.conninfo, poolSize: 1, poolTimeout: .seconds(5)))
        let (release, holding) = try await Self.holdTheOnlyConnection(of: pool)
        let waiter = Task { try await pool.withConnection { db in try db.scalar("SELECT 1", as: Int.self) } }
        try await waitFor("the waiter") { pool.statistics.waiting == 1 }
        release.signal()
        #expect(try await holding.value == 0)
        #expect(try await waiter.value == 1)
        try await Task.sleep(for: .milliseconds(5500))
        #expect(try await pool.withConnection { db in try db.scalar("SELECT 2", as: Int.self) } == 2)
        #expect(pool.statistics.inUse == 0 && pool.statistics.waiting == 0)
        await pool.shutdown()
    }

    /// Pool connections run with the configured `statement_timeout`; a statement that runs longer fails with
    /// `.unavailable` and the connection stays usable.
    @Test func poolConnectionsHaveTheStatementTimeout() async throws {
        let database = try await TestDatabase.create()
        let pool = DatabasePool(
            configuration: DatabaseConfiguration(conninfo: database.conninfo, poolSize: 1, statementTimeout: .milliseconds(300)))
        #expect(try await pool.withConnection { db in try db.scalar("SHOW statement_timeout", as: String.self) } == "300ms")
        let error = await #expect(throws: DatabaseError.self) { try await pool.withConnection { db in try db.query("SELECT pg_sleep(5)") } }
        #expect(error?.sqlState == "57014")
        #expect(error?.kind == .unavailable)
        #expect(error?.retryAfter == 5)
        #expect(try await pool.withConnection { db in try db.scalar("SELECT 2", as: Int.self) } == 2)
        // Without a timeout (msgctl), the server's setting stays.
        let plain = database.pool(size: 1)
        #expect(try await plain.withConnection { db in try db.scalar("SHOW statement_timeout", as: String.self) } == "0")
        await pool.shutdown()
        await plain.shutdown()
    }

    /// Lends `pool`'s only connection to a task that keeps it until `release` is signalled; returns once it is lent.
    private static func holdTheOnlyConnection(of pool: DatabasePool) async throws -> (release: DispatchSemaphore, holder: Task<Int, any Error>) {
        let release = DispatchSemaphore(value: 0)
        let holder = Task {
            try await pool.withConnection { _ in
                release.wait()
                return 0
            }
        }
        // Generous: on a busy machine the task may start late; what is tested is what follows.
        try await waitFor("the connection to be lent", timeout: 60) { pool.statistics.inUse == 1 }
        return (release, holder)
    }
}
