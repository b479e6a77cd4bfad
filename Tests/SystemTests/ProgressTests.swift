import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// msgctl's progress line on standard error: shown on a terminal for long work (export, db migrate, attachments
/// purge), redrawn in place and cleared at the end; absent when standard error is a file, and with --no-progress.
/// The work is made long by holding what it needs (a pipe nobody reads, a lock), so nothing depends on the machine's speed.
@Suite(.needsProcesses, .processSlot) struct ProgressTests {
    let msgctl = TestEnvironment.binary("msgctl")

    /// A database with `count` messages of 500 characters from Alice to the admins, planner statistics included.
    /// Inserted without the triggers (notifications, search), which the work shown does not need and which would
    /// make the insert take longer than the test.
    static func database(messages count: Int) async throws -> (TestDatabase, PostgresConnection, Fixtures) {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try db.execute("SET session_replication_role = replica")
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, repeat('x', 500) || g FROM generate_series(1, \(count)) g",
            [conversation.id, f.alice.id])
        try db.execute("RESET session_replication_role; ANALYZE messages")
        return (database, db, f)
    }

    /// Waits until a msgctl session has waited on a lock for `seconds` (longer than the line's delay), watched from a
    /// connection of its own (`pg_stat_activity` is read once per transaction).
    static func waitUntilBlocked(_ database: TestDatabase, for seconds: Double) async throws {
        let watcher = try database.connect()
        defer { watcher.close() }
        try await waitFor("msgctl to wait on a lock for \(seconds) s") {
            try watcher.scalar(
                """
                SELECT count(*) FROM pg_stat_activity WHERE application_name = 'msgctl' AND wait_event_type = 'Lock' AND datname = current_database()
                AND clock_timestamp() - query_start > make_interval(secs => $1)
                """, [seconds], as: Int.self) > 0
        }
    }

    @Test func exportShowsRowsRateAndTimeLeftThenClearsTheLine() async throws {
        let (database, _, _) = try await Self.database(messages: 4_000)
        let folder = try TestEnvironment.scratchFolder("progress")
        let fifo = folder.appendingPathComponent("out.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // Opened for reading first (without blocking) so the export's redirection opens at once; nothing is read until
        // the line shows: the export fills the pipe and its own buffer, then waits.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let terminal = try TerminalSession(
            "stty cols 120; \(msgctl) export > \(fifo); echo exit=$?", environment: ["DATABASE_URL": database.conninfo, "NO_COLOR": "1"])
        defer { terminal.stop() }
        let at = try await terminal.waitFor("left ~")
        let line = terminal.text.split(separator: "\n", omittingEmptySubsequences: false)[at]
        #expect(line.contains(/export: [0-9,]+ of ~[0-9,]+ rows \([0-9]+%\)  [0-9,.]+ rows\/s  elapsed [0-9.]+s  left ~/), "\(line)")
        // Redrawn in place: one screen line, many drawings.
        #expect(terminal.text.split(separator: "\n").filter { $0.contains("export:") }.count == 1)
        #expect(terminal.raw.components(separatedBy: "\rexport: ").count > 2)

        _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) & ~O_NONBLOCK)
        let lines = try await Self.readAll(reader)
        #expect(lines == 4_000)
        try await terminal.waitFor("exit=0", after: at)
        try await terminal.waitFor("exported 4000 messages", after: at)
        // The line is gone: the summary took its place.
        #expect(!terminal.text.contains("rows/s"), "\(terminal.text.suffix(400))")
        #expect(terminal.raw.contains("\r\u{1B}[K"))
    }

    @Test func migrateShowsTheStepUnderWayAndTheWaitForAnotherMigration() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let db = try database.connect()
        // The newest migration that touches a table (one that only replaces a function or creates a table waits for no
        // lock), and those after it, are pending.
        let index = try #require(
            Migration.all.lastIndex { migration in
                migration.steps.contains { step in
                    let start = step.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
                    return !start.hasPrefix("CREATE OR REPLACE FUNCTION") && !start.hasPrefix("CREATE TABLE")
                }
            })
        let last = Migration.all[index]
        try Migrator(migrations: Array(Migration.all[..<index])).migrate(db)
        // Another migration holds the lock; then every table is held against writes and DDL (reads pass), so the pending
        // migration's first step that touches one waits.
        let holder = try database.connect()
        try holder.query("SELECT pg_advisory_lock($1::int4, $2::int4)", [Migrator.lockKeys.0, Migrator.lockKeys.1])
        try holder.execute("BEGIN")
        let tables = try holder.scalar(
            "SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
            as: String.self)
        try holder.execute("LOCK TABLE \(tables) IN EXCLUSIVE MODE")

        let terminal = try TerminalSession(
            "stty cols 200; \(msgctl) db migrate; echo exit=$?", environment: ["DATABASE_URL": database.conninfo, "NO_COLOR": "1"])
        defer { terminal.stop() }
        var at = try await terminal.waitFor("db migrate: waiting for another process's migration to finish  elapsed")
        try holder.query("SELECT pg_advisory_unlock($1::int4, $2::int4)", [Migrator.lockKeys.0, Migrator.lockKeys.1])
        // Whichever step meets the held tables first waits (a concurrent index build waits for the holder's snapshot).
        at = try await terminal.waitFor("db migrate: \(last.id) \(last.name)")
        let steps =
            last.namedSteps.count == 1
            ? [""] : last.namedSteps.indices.map { ", \(last.namedSteps[$0].name) (step \($0 + 1) of \(last.namedSteps.count))" }
        // The time moves while the step waits.
        at = try await terminal.waitFor("  elapsed 1.", after: at)
        let waiting = terminal.text.split(separator: "\n", omittingEmptySubsequences: false)[at]
        #expect(steps.contains { waiting.contains("db migrate: \(last.id) \(last.name)\($0)  elapsed 1.") }, "\(waiting)")
        #expect(terminal.text.split(separator: "\n").filter { $0.contains("db migrate:") }.count == 1, "\(terminal.text.suffix(600))")

        try holder.execute("COMMIT")
        try await terminal.waitFor("applied \(last.id) \(last.name)", after: at)
        try await terminal.waitFor("exit=0", after: at)
        #expect(!terminal.text.contains("elapsed"), "\(terminal.text.suffix(600))")
        #expect(try db.scalar("SELECT count(*) FROM schema_migrations WHERE version = $1", [last.id], as: Int.self) == 1)
        #expect(try db.scalar("SELECT max(version) FROM schema_migrations", as: Int.self) == Migration.all.last?.id)
    }

    @Test func purgeShowsTheFilesRemovedOfThoseToRemove() async throws {
        let (database, db, _) = try await Self.database(messages: 3)
        try db.execute(
            """
            INSERT INTO attachments (owner_id, conversation_id, message_id, store_key, filename, content_type, size, state, attached_at)
            SELECT m.sender_id, m.conversation_id, m.id, replace(m.id::text, '-', ''), 'file.txt', 'text/plain', 1, 'attached', now() FROM messages m;
            UPDATE messages SET deleted_at = now() - interval '1 hour';
            """)
        let folder = try TestEnvironment.scratchFolder("progress-store").path
        // The folders the relay makes: msgctl opens only a store that exists.
        for part in ["files", "tmp"] { try FileManager.default.createDirectory(atPath: folder + "/" + part, withIntermediateDirectories: true) }
        // SHARE mode lets the count read the table and makes the purge's first batch (an UPDATE) wait.
        let holder = try database.connect()
        try holder.execute("BEGIN; LOCK TABLE attachments IN SHARE MODE")
        let terminal = try TerminalSession(
            "stty cols 120; \(msgctl) attachments purge --deleted-before 1m; echo exit=$?",
            environment: [
                "DATABASE_URL": database.conninfo, "ATTACHMENT_STORE": "local:\(folder)", "JWT_SECRET": TestRelay.secret, "NO_COLOR": "1",
            ])
        defer { terminal.stop() }
        let at = try await terminal.waitFor("attachments purge: 0 of ~3 files (0%)  elapsed")
        try holder.execute("COMMIT")
        try await terminal.waitFor("removed 3 files of deleted messages", after: at)
        try await terminal.waitFor("exit=0", after: at)
        #expect(!terminal.text.contains("elapsed"))
        #expect(try db.scalar("SELECT count(*) FROM attachments WHERE state = 'purged'", as: Int.self) == 3)
    }

    @Test func noLineWhenStandardErrorIsAFileOrWithNoProgress() async throws {
        let (database, _, _) = try await Self.database(messages: 10)
        let folder = try TestEnvironment.scratchFolder("progress-off")
        // The export waits on a lock well past the line's delay in both runs.
        let holder = try database.connect()

        // Standard error to a file (as under cron): nothing but what a failure would say.
        let errors = folder.appendingPathComponent("stderr").path
        try holder.execute("BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        let toFile = try ChildProcess(
            "/bin/sh", ["-c", "exec \"$0\" export --output \"$1\" 2>\"$2\"", msgctl, folder.appendingPathComponent("a.jsonl").path, errors],
            environment: ["DATABASE_URL": database.conninfo])
        try await Self.waitUntilBlocked(database, for: 1.5)
        try holder.execute("COMMIT")
        try await waitFor("the export to finish") { !toFile.isRunning }
        #expect(toFile.exitStatus == 0)
        #expect(try String(contentsOfFile: errors, encoding: .utf8) == "")

        // A terminal, with --no-progress: only the summary line.
        try holder.execute("BEGIN; LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
        let output = folder.appendingPathComponent("b.jsonl").path
        let terminal = try TerminalSession(
            "\(msgctl) export --no-progress --output \(output); echo exit=$?", environment: ["DATABASE_URL": database.conninfo, "NO_COLOR": "1"])
        defer { terminal.stop() }
        try await Self.waitUntilBlocked(database, for: 1.5)
        try holder.execute("COMMIT")
        try await terminal.waitFor("exit=0")
        #expect(terminal.text.contains("exported 10 messages to \(output)"))
        #expect(!terminal.raw.contains("export:"), "\(terminal.raw.debugDescription)")
        #expect(!terminal.raw.contains("\r\u{1B}[K"))
    }

    /// Reads `descriptor` to its end on a thread of its own; returns the number of lines.
    static func readAll(_ descriptor: Int32) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var lines = 0
                var chunk = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(descriptor, &chunk, chunk.count)
                    if n < 0, errno == EINTR { continue }
                    if n < 0 { return continuation.resume(throwing: TestFailure("read failed: \(errno)")) }
                    if n == 0 { return continuation.resume(returning: lines) }
                    lines += chunk[0..<n].filter { $0 == 10 }.count
                }
            }
        }
    }
}
