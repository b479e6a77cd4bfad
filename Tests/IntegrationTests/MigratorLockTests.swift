import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// A migration that needs a table lock held by a long transaction gives up waiting after a moment and tries again, so
/// that the queries behind it are not held up meanwhile; it finishes once the lock is free.
@Suite(.needsDatabase) struct MigratorLockTests {
    @Test func aMigrationWaitingForALockLetsOtherQueriesThroughThenFinishes() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        // The schema as it was before migration 42.
        try db.execute("ALTER TABLE slack_inbox DROP COLUMN order_keys, DROP COLUMN follows_keys; DELETE FROM schema_migrations WHERE version = 42")
        let long = try database.connect()
        try long.execute("BEGIN; SELECT count(*) FROM slack_inbox")
        let migrator = try database.connect()
        let migration = Task { try await onOwnThread { try Migrator().migrate(migrator).map(\.id) } }
        try await waitFor("the migration to wait for the table", timeout: 60) { try db.lockWaiters() >= 1 }
        // Another query on the table, which would queue behind the migration's lock request for as long as the long
        // transaction lasts: it gets through once the migration stops waiting.
        let reader = try database.connect()
        try reader.execute("SET lock_timeout = '10s'")
        #expect(try reader.scalar("SELECT count(*) FROM slack_inbox", as: Int.self) == 0)
        try long.execute("COMMIT")
        #expect(try await migration.value == [42])
        #expect(
            try db.scalar(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'slack_inbox' AND column_name = 'order_keys'", as: Int.self) == 1)
    }
}
