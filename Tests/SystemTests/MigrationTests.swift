import Foundation
import MsgLib
import TestSupport
import Testing

@Suite(.needsProcesses, .processSlot) struct MigrationTests {
    /// The schema as the catalogs describe it: tables with columns, indexes, constraints, triggers, functions.
    static func schemaFingerprint(_ db: PostgresConnection) throws -> [String] {
        let queries = [
            """
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1
            """,
            "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
            "SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
            "SELECT tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
            "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1",
            "SELECT version::text || ' ' || name FROM schema_migrations ORDER BY version",
        ]
        return try queries.flatMap { sql in try db.query(sql).map { try $0.decode(0, as: String.self) } }
    }

    @Test func freshDatabaseReachesTheFullSchema() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let db = try database.connect()
        #expect(try Migrator().pending(db).count == Migration.all.count)
        let applied = try Migrator().migrate(db)
        #expect(applied.map(\.id) == Migration.all.map(\.id))
        let schema = try Self.schemaFingerprint(db)
        for expected in [
            "idx_conversations_user_id", "idx_conversations_last_message_at", "idx_conversations_archived",
            "idx_messages_conversation_id", "idx_messages_sender_created", "idx_messages_unread", "idx_messages_search_terms",
            "idx_messages_read_at",
            "idx_push_subscriptions_user_id", "idx_users_is_admin", "conversations_user_id_unique", "messages_content_length",
            "push_subscriptions_endpoint_unique", "trigger_update_conversation_on_message on messages",
            "trigger_update_conversation_unread on messages", "trigger_update_conversation_unread_on_delete on messages", "uuid_generate_v7",
            "update_conversation_on_message", "update_conversation_unread",
        ] {
            #expect(schema.contains { $0.hasPrefix(expected) }, "missing \(expected)")
        }
        for column in [
            "users.is_admin boolean NO false", "messages.deleted_at timestamp with time zone YES", "conversations.unread_count_admin integer NO 0",
        ] {
            #expect(schema.contains { $0.hasPrefix(column) }, "missing column \(column)")
        }
        // Dropped as redundant (migration 32): no query used them, every insert paid for them.
        #expect(!schema.contains { $0.hasPrefix("idx_messages_content_search") || $0.hasPrefix("idx_messages_sender_id:") })
        #expect(try Migrator().status(db).allSatisfy(\.isApplied))
    }

    /// A statement_timeout from the connection string (or the role) does not cut a migration short: index builds on a
    /// large table take minutes.
    @Test func msgctlMigratesWhateverTheConnectionsStatementTimeout() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let migrate = try await ProcessRunner.ours(
            "msgctl", ["db", "migrate"], environment: ["DATABASE_URL": database.conninfo, "PGOPTIONS": "-c statement_timeout=1"])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(try Migrator().pending(try database.connect()).isEmpty)
    }

    @Test func migratingTwiceChangesNothing() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let db = try database.connect()
        try Migrator().migrate(db)
        let before = try Self.schemaFingerprint(db)
        #expect(try Migrator().migrate(db).isEmpty)
        #expect(try Self.schemaFingerprint(db) == before)
    }

    @Test func existingUsersTableIsKept() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let db = try database.connect()
        try db.execute(
            """
            CREATE EXTENSION IF NOT EXISTS pgcrypto;
            CREATE TABLE users (id UUID PRIMARY KEY DEFAULT gen_random_uuid(), username TEXT UNIQUE NOT NULL,
                display_name TEXT NOT NULL, slug TEXT UNIQUE NOT NULL, email TEXT);
            INSERT INTO users (username, display_name, slug, email) VALUES ('site', 'Site User', 'site', 'a@example.org');
            """)
        try Migrator().migrate(db)
        #expect(try db.scalar("SELECT email FROM users WHERE username = 'site'", as: String.self) == "a@example.org")
        #expect(try db.scalar("SELECT is_admin FROM users WHERE username = 'site'", as: Bool.self) == false)
    }

    @Test func serverFunctionIsKeptWhenPresent() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let db = try database.connect()
        try db.execute("CREATE FUNCTION uuid_generate_v7() RETURNS uuid LANGUAGE sql AS $$ SELECT '00000000-0000-7000-8000-000000000001'::uuid $$")
        try Migrator().migrate(db)
        #expect(try db.scalar("SELECT uuid_generate_v7()::text", as: String.self) == "00000000-0000-7000-8000-000000000001")
    }

    @Test func twoConcurrentMigrateProcessesBothSucceed() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let msgctl = TestEnvironment.binary("msgctl")
        let children = try [0, 1].map { _ in try ChildProcess(msgctl, ["db", "migrate", "--database-url", database.conninfo]) }
        let results = try children.map { (try $0.waitUntilExit(timeout: 60), $0.stderr) }
        for (status, stderr) in results {
            #expect(status == 0, "msgctl db migrate failed: \(stderr)")
        }
        let db = try database.connect()
        #expect(try db.scalar("SELECT count(*) FROM schema_migrations", as: Int.self) == Migration.all.count)
    }

    /// Upgrades run `msgctl db migrate` (and relays start with `--migrate`) while other relays are up: the lock a relay
    /// holds for its whole life (the one that counts other writers' messages) is not the migrations' lock.
    @Test func migrateRunsWhileRelaysAreUp() async throws {
        let database = try await TestDatabase.create()
        let relay = try await TestRelay(database: database)
        let db = try database.connect()
        try await waitFor("the relay counting other writers' messages") {
            (try? db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted", as: Int.self)) ?? 0 > 0
        }
        let migrate = try ChildProcess(TestEnvironment.binary("msgctl"), ["db", "migrate", "--database-url", database.conninfo])
        let status = try migrate.waitUntilExit(timeout: 20)
        #expect(status == 0, "msgctl db migrate: \(migrate.stderr)")
        #expect(!migrate.stderr.contains("waiting"))
        let second = try RunningProcess(
            "msgrelay", ["--port", "0", "--migrate"], environment: ["DATABASE_URL": database.conninfo, "JWT_SECRET": TestRelay.secret])
        _ = try await second.waitForOutput(#"listening on 127\.0\.0\.1:(\d+)"#)
        try await second.stop()
        try await relay.stop()
        db.close()
    }

    @Test func dbStatusListsAppliedAndPending() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let before = try await ProcessRunner.ours("msgctl", ["db", "status", "--database-url", database.conninfo])
        #expect(before.status == 0)
        #expect(before.stdout.contains("0 applied, \(Migration.all.count) pending"))
        let migrate = try await ProcessRunner.ours("msgctl", ["db", "migrate", "--database-url", database.conninfo])
        #expect(migrate.stdout.contains("applied 1 uuid_generate_v7"))
        let again = try await ProcessRunner.ours("msgctl", ["db", "migrate", "--database-url", database.conninfo])
        #expect(again.stdout == "schema is up to date\n")
        let after = try await ProcessRunner.ours("msgctl", ["db", "status", "--json", "--database-url", database.conninfo])
        let rows = try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.count == Migration.all.count)
        #expect(rows?.allSatisfy { $0["applied"] as? Bool == true } == true)
        // `db migrate --json` names versions as `db status --json` does: numbers.
        let fresh = try await TestDatabase.create(migrated: false)
        let json = try await ProcessRunner.ours("msgctl", ["db", "migrate", "--json", "--database-url", fresh.conninfo])
        let applied = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["applied"] as? [[String: Any]]
        #expect(applied?.count == Migration.all.count)
        #expect(applied?.first?["version"] as? Int == 1 && applied?.first?["name"] as? String == "uuid_generate_v7")
    }
}
