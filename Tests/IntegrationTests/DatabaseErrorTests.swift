import Foundation
import MsgLib
import TestSupport
import Testing

@Suite(.needsDatabase) struct DatabaseErrorTests {
    @Test func sqlStatesMapToKinds() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let reference = #expect(throws: DatabaseError.self) {
            try MessageRepository.insert(db, conversationId: UUID(), senderId: f.alice.id, content: "x")
        }
        #expect(reference?.kind == .reference)
        #expect(reference?.sqlState == "23503")
        let malformed = #expect(throws: DatabaseError.self) { try db.query("SELECT $1::uuid", ["not-a-uuid"]) }
        #expect(malformed?.kind == .validation)
        #expect(malformed?.sqlState == "22P02")
        let notNull = #expect(throws: DatabaseError.self) {
            try db.query("INSERT INTO users (username, display_name, slug) VALUES ($1, NULL, $2)", ["x", "x"])
        }
        #expect(notNull?.kind == .validation)
        let syntax = #expect(throws: DatabaseError.self) { try db.query("SELEC 1") }
        #expect(syntax?.kind == .query)
        #expect(syntax?.sqlState == "42601")
        // What this program needs and does not find: configuration (msgctl exits 78).
        let missing = #expect(throws: DatabaseError.self) { try db.query("SELECT * FROM no_such_table") }
        #expect(missing?.kind == .configuration && missing?.description.contains("msgctl db migrate") == true)
        // A time PostgreSQL holds and microseconds since 1970 cannot: an error, not a crash.
        #expect(throws: (any Error).self) { try db.query("SELECT '294270-01-01 00:00Z'::timestamptz")[0].decode(0, as: Timestamp.self) }
        #expect(try db.query("SELECT '294200-01-01 00:00Z'::timestamptz")[0].decode(0, as: Timestamp.self).rfc3339.hasPrefix("294200-01-01"))
        // Neither description (the debug one is logged) names the row's data; the detail keeps it.
        let conflict = #expect(throws: DatabaseError.self) {
            try UserRepository.insert(db, username: "alice", displayName: "Again")
        }
        #expect(conflict?.kind == .conflict)
        #expect(conflict?.description.contains("(alice)") == false)
        #expect(conflict?.debugDescription.contains("(alice)") == false)
        #expect(conflict?.debugDescription.contains("23505") == true)
        #expect(conflict?.detail?.contains("(alice)") == true)
        // The connection stays usable after errors.
        #expect(try db.scalar("SELECT 41 + 1", as: Int.self) == 42)
    }

    @Test func connectionLossIsUnavailable() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let pid = try db.scalar("SELECT pg_backend_pid()", as: Int.self)
        let other = try database.connect()
        try other.query("SELECT pg_terminate_backend($1)", [pid])
        let lost = #expect(throws: DatabaseError.self) { try db.query("SELECT 1") }
        #expect(lost?.kind == .unavailable)
        #expect(!db.isAlive)
        try db.ensureConnected()
        #expect(try db.scalar("SELECT 1", as: Int.self) == 1)
    }

    @Test func unreachableServerIsUnavailable() {
        let db = PostgresConnection(conninfo: "host=127.0.0.1 port=1 connect_timeout=2")
        let error = #expect(throws: DatabaseError.self) { try db.connect() }
        #expect(error?.kind == .unavailable)
        #expect(error?.description.hasPrefix("database unavailable:") == true)
    }

    @Test func decodingChecksTypes() async throws {
        let db = try await TestDatabase.create().connect()
        let rows = try db.query(
            "SELECT 1::int2 AS a, 2::int4 AS b, 3::int8 AS c, true AS d, 1.5::float8 AS e, 0.25::float4 AS f, NULL::text AS g, 'é'::text AS h, '2026-01-02T03:04:05.123456Z'::timestamptz AS t"
        )
        let row = rows[0]
        #expect(try row.decode("a", as: Int.self) == 1)
        #expect(try row.decode("b", as: Int32.self) == 2)
        #expect(try row.decode("c", as: Int64.self) == 3)
        #expect(try row.decode("d", as: Bool.self))
        #expect(try row.decode("e", as: Double.self) == 1.5)
        #expect(try row.decode("f", as: Double.self) == 0.25)
        #expect(try row.decode("g", as: String?.self) == nil)
        #expect(try row.decode("h", as: String.self) == "é")
        #expect(try row.decode("t", as: Timestamp.self).rfc3339 == "2026-01-02T03:04:05.123456Z")
        let null = #expect(throws: DatabaseError.self) { try row.decode("g", as: String.self) }
        #expect(null?.kind == .decoding)
        #expect(throws: DatabaseError.self) { try row.decode("h", as: Int.self) }
        #expect(throws: DatabaseError.self) { try row.decode("missing", as: Int.self) }
        // Parameters round-trip, including NULL, arrays and text that looks like SQL.
        let tricky = "'; DROP TABLE users; --"
        #expect(try db.scalar("SELECT $1::text", [tricky], as: String.self) == tricky)
        #expect(try db.scalar("SELECT $1::text IS NULL", [String?.none], as: Bool.self))
        let ids = [UUID(), UUID()]
        #expect(try db.scalar("SELECT cardinality($1::uuid[])", [ids], as: Int.self) == 2)
        #expect(try db.scalar("SELECT ($1::text[])[2]", [["a\"b", "c\\d"]], as: String.self) == "c\\d")
    }
}
