import Foundation
import MsgLib
import TestSupport
import Testing

@Suite(.needsDatabase) struct UUIDv7Tests {
    @Test func valuesSortByCreationTime() async throws {
        let db = try await TestDatabase.create().connect()
        try db.execute("CREATE TEMP TABLE seq (n serial, id uuid DEFAULT uuid_generate_v7())")
        // Many in one statement: the same millisecond, often the same microsecond.
        try db.query("INSERT INTO seq SELECT FROM generate_series(1, 2000)")
        for _ in 0..<50 { try db.query("INSERT INTO seq DEFAULT VALUES") }
        let ids = try db.query("SELECT id FROM seq ORDER BY n").map { try $0.decode(0, as: UUID.self) }
        let sorted = try db.query("SELECT id FROM seq ORDER BY id").map { try $0.decode(0, as: UUID.self) }
        #expect(ids.count == 2050)
        #expect(ids == sorted)
        #expect(Set(ids).count == ids.count)
    }

    @Test func layoutFollowsRFC9562() async throws {
        let db = try await TestDatabase.create().connect()
        let before = Timestamp.now().microsecondsSinceEpoch / 1000
        let text = try db.scalar("SELECT uuid_generate_v7()::text", as: String.self)
        let after = Timestamp.now().microsecondsSinceEpoch / 1000
        let hex = text.replacingOccurrences(of: "-", with: "")
        let millis = try #require(Int64(hex.prefix(12), radix: 16))
        #expect(millis >= before - 1 && millis <= after + 1)
        #expect(Array(hex)[12] == "7")
        #expect("89ab".contains(Array(hex)[16]))
        #expect(text == text.lowercased())
    }

    @Test func valuesFromSeparateSessionsOrderAcrossMilliseconds() async throws {
        let database = try await TestDatabase.create()
        var ids: [UUID] = []
        for _ in 0..<5 {
            let db = try database.connect()
            ids.append(try db.scalar("SELECT uuid_generate_v7()", as: UUID.self))
            usleep(2_000)
        }
        #expect(ids.map { $0.lowercasedString } == ids.map { $0.lowercasedString }.sorted())
    }
}
