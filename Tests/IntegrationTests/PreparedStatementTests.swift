import Foundation
import MsgLib
import TestSupport
import Testing

/// Prepared statements stay in step with the server: a name never stands for two SQL texts, statements the server
/// lost are prepared anew, and a plan whose result type changed is replaced.
@Suite(.needsDatabase) struct PreparedStatementTests {
    /// `DISCARD ALL` behind the connection's back (as a pooler or an admin may do): every statement still runs its
    /// own SQL with its own parameters, however often it happens.
    @Test func statementsLostOnTheServerArePreparedAgain() async throws {
        let db = try await TestDatabase.create(migrated: false).connect()
        defer { db.close() }
        for round in 0..<3 {
            #expect(try db.scalar("SELECT $1::int + 1", [round], as: Int.self) == round + 1)
            #expect(try db.scalar("SELECT $1::text || 'b'", ["a\(round)"], as: String.self) == "a\(round)b")
            #expect(try db.scalar("SELECT $1::int * 3", [round], as: Int.self) == round * 3)
            try db.execute("DISCARD ALL")
        }
        // Lost in another order: the statement prepared last runs first.
        #expect(try db.scalar("SELECT $1::int * 3", [5], as: Int.self) == 15)
        #expect(try db.scalar("SELECT $1::text || 'b'", ["x"], as: String.self) == "xb")
        #expect(try db.scalar("SELECT $1::int + 1", [41], as: Int.self) == 42)
    }

    /// A statement sent without waiting (as the writer of batched sends does) whose prepared statement the server lost,
    /// or whose result type changed: its result is the error (nothing ran), and the next one is prepared anew and runs
    /// its own SQL.
    @Test func aStatementSentAheadIsPreparedAgainAfterItFailed() async throws {
        let db = try await TestDatabase.create(migrated: false).connect()
        defer { db.close() }
        try db.send("SELECT $1::int + 1", [1])
        #expect(try db.receive()[0].decode(0, as: Int.self) == 2)
        try db.execute("DISCARD ALL")
        try db.send("SELECT $1::int + 1", [2])
        #expect { try db.receive() } throws: { ($0 as? DatabaseError)?.sqlState == "26000" }
        try db.send("SELECT $1::int + 1", [3])
        #expect(try db.receive()[0].decode(0, as: Int.self) == 4)

        try db.execute("CREATE TABLE t (a int)")
        try db.query("INSERT INTO t VALUES ($1)", [1])
        try db.send("SELECT * FROM t WHERE a = $1", [1])
        #expect(try db.receive().columns.count == 1)
        try db.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'")
        try db.send("SELECT * FROM t WHERE a = $1", [1])
        #expect { try db.receive() } throws: { ($0 as? DatabaseError)?.sqlState == "0A000" }
        try db.send("SELECT * FROM t WHERE a = $1", [1])
        let rows = try db.receive()
        #expect(rows.columns.map(\.name) == ["a", "b"])
        // Between the two, the connection answers other statements.
        #expect(try db.scalar("SELECT $1::int * 3", [5], as: Int.self) == 15)
    }

    /// An `ALTER TABLE` that changes what `SELECT *` returns: the statement is prepared again (inside a transaction
    /// the error is reported and the next attempt works), and statements prepared after it get names of their own.
    @Test func aPlanWhoseResultTypeChangedIsPreparedAgain() async throws {
        let db = try await TestDatabase.create(migrated: false).connect()
        defer { db.close() }
        try db.execute("CREATE TABLE t (a int)")
        try db.query("INSERT INTO t VALUES ($1)", [1])
        #expect(try db.query("SELECT * FROM t").columns.count == 1)

        try db.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'")
        let rows = try db.query("SELECT * FROM t")
        #expect(rows.columns.map(\.name) == ["a", "b"])
        #expect(try rows[0].decode(1, as: String.self) == "x")
        #expect(try db.scalar("SELECT $1::int + 1", [1], as: Int.self) == 2)
        #expect(try db.scalar("SELECT count(*) FROM t", as: Int.self) == 1)

        try db.execute("ALTER TABLE t ADD COLUMN c int DEFAULT 7")
        try db.execute("BEGIN")
        #expect(throws: DatabaseError.self) { try db.query("SELECT * FROM t") }
        try db.execute("ROLLBACK")
        let again = try db.query("SELECT * FROM t")
        #expect(again.columns.map(\.name) == ["a", "b", "c"])
        #expect(try again[0].decode(2, as: Int.self) == 7)
        #expect(try db.scalar("SELECT $1::text || 'b'", ["a"], as: String.self) == "ab")
        #expect(try db.query("INSERT INTO t VALUES ($1)", [2]).affectedRows == 1)
        // Replaced statements were dropped on the server; the current ones are all there.
        let names = try db.query("SELECT name FROM pg_prepared_statements ORDER BY name").map { try $0.decode(0, as: String.self) }
        #expect(names.count == Set(names).count)
        #expect(names.count <= 6, "\(names)")
    }

    /// The same through the pool: its connection's statements dropped by `DISCARD ALL` and by DDL between two
    /// requests; the next requests answer correctly.
    @Test func thePoolKeepsAnsweringAfterStatementsAreDroppedBehindItsBack() async throws {
        let pool = try await TestDatabase.create(migrated: false).pool(size: 1)
        try await pool.withConnection { db in try db.execute("CREATE TABLE t (a int)") }
        for round in 0..<3 {
            let (sum, text, rows) = try await pool.withConnection { db in
                (
                    try db.scalar("SELECT $1::int + 1", [round], as: Int.self), try db.scalar("SELECT $1::text || 'b'", ["a"], as: String.self),
                    try db.query("SELECT * FROM t").columns.count
                )
            }
            #expect(sum == round + 1 && text == "ab" && rows == round + 1)
            try await pool.withConnection { db in
                try db.execute("DISCARD ALL")
                try db.execute("ALTER TABLE t ADD COLUMN c\(round) int")
            }
        }
        await pool.shutdown()
    }
}
