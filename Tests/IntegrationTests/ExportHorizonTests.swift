import Foundation
import TestSupport
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// The export horizon's id floor against uuid_generate_v7() in PostgreSQL.
@Suite(.needsDatabase) struct ExportHorizonTests {
    @Test func idFloorSortsBelowEveryIdOfItsMillisecond() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let before = try db.scalar("SELECT clock_timestamp()", as: Timestamp.self)
        usleep(2_000)
        let id = try db.scalar("SELECT uuid_generate_v7()", as: UUID.self)
        usleep(2_000)
        let after = try db.scalar("SELECT clock_timestamp()", as: Timestamp.self)
        #expect(RawUUID(ExportHorizon.idFloor(before)) < RawUUID(id))
        #expect(RawUUID(id) < RawUUID(ExportHorizon.idFloor(after)))
        // The database orders them the same way.
        #expect(try db.scalar("SELECT $1::uuid < $2::uuid", [ExportHorizon.idFloor(before), id], as: Bool.self))
        #expect(try db.scalar("SELECT $1::uuid < $2::uuid", [id, ExportHorizon.idFloor(after)], as: Bool.self))
        #expect(
            ExportHorizon.idFloor(Timestamp(microsecondsSinceEpoch: 1_700_000_000_123_999)).lowercasedString == "018bcfe5-687b-0000-0000-000000000000"
        )
    }
}
