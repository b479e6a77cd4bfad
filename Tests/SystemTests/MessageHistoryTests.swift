import Foundation
import MsgLib
import TestSupport
import Testing

/// Edit and delete history (migration 28): recorded by the database for every writer, read by admins only (REST,
/// `msgctl show --history`, `msgctl export --include-history`), and removed for good with the messages by `msgctl purge`.
@Suite(.needsProcesses, .processSlot) struct MessageHistoryTests {
    @Test func editsAndDeletionsThroughRESTAreKeptAndOnlyAdminsReadThem() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let alice = relay.token(f.alice)
        let admin = relay.token(f.admin)

        let sent = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "first"])
        #expect(sent.status == 201, "\(sent.text)")
        let id = try #require(sent.object.string("id"))
        for text in ["second", "third"] {
            let edited = try await relay.request("PATCH", "/api/messages/\(id)", token: alice, json: ["content": text])
            #expect(edited.status == 200, "\(edited.text)")
        }
        // Users keep seeing only edited_at.
        let conversation = try #require(sent.object.string("conversation_id"))
        let listed = try await relay.request("GET", "/api/conversations/\(conversation)/messages", token: alice)
        let message = try #require(listed.object.array("messages").first)
        #expect(message["content"] as? String == "third" && message["edited_at"] is String)
        #expect(message["history"] == nil && !listed.text.contains("second"))
        let refused = try await relay.request("GET", "/api/messages/\(id)/history", token: alice)
        #expect(refused.status == 403 && refused.error == "Admin access required", "\(refused.status) \(refused.text)")
        let malformed = try await relay.request("GET", "/api/messages/not-a-uuid/history", token: alice)
        #expect(malformed.status == 403 && malformed.error == "Admin access required", "\(malformed.text)")
        #expect(!refused.text.contains("first"))
        let other = try await relay.request("GET", "/api/messages/\(id)/history", token: relay.token(f.bob))
        #expect(other.status == 403)

        let deleted = try await relay.request("DELETE", "/api/messages/\(id)", token: admin)
        #expect(deleted.status == 204)
        let read = try await relay.request("GET", "/api/messages/\(id)/history", token: admin)
        #expect(read.status == 200, "\(read.text)")
        let body = read.object
        #expect(body.string("id") == id && body.string("content") == "third" && body.string("deleted_at") != nil)
        #expect(body.string("sender.username") == "alice")
        let history = body.array("history")
        #expect(history.map { $0["action"] as? String } == ["edit", "edit", "delete"])
        #expect(history.map { $0["previous_content"] as? String } == ["first", "second", nil])
        #expect(history.map { ($0["actor"] as? [String: Any])?["username"] as? String } == ["alice", "alice", "admin"])
        #expect(history[0]["actor_id"] as? String == f.alice.id.lowercasedString)
        #expect(history[2]["actor_id"] as? String == f.admin.id.lowercasedString)
        #expect(history[0]["previous_written_at"] as? String == body.string("created_at"))
        #expect(history[2]["changed_at"] as? String == body.string("deleted_at"))
        #expect(history[1]["changed_at"] as? String == body.string("edited_at"))
        #expect(history.allSatisfy { ($0["database_role"] as? String)?.isEmpty == false })
        // Every key present, null when empty.
        #expect(
            history[2].keys.sorted() == ["action", "actor", "actor_id", "changed_at", "database_role", "previous_content", "previous_written_at"])
        #expect(history[2]["previous_content"] is NSNull)

        let afterDelete = try await relay.request("GET", "/api/messages/\(id)/history", token: alice)
        #expect(afterDelete.status == 403)
        try await relay.stop()
    }

    @Test func aPlainSQLUpdateIsRecordedToo() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "typo hree")
        let role = try db.scalar("SELECT current_user::text", as: String.self)

        try db.query("UPDATE messages SET content = 'typo here' WHERE id = $1", [message.id])
        // Reading does not count as a change.
        try db.query("UPDATE messages SET read_at = now() WHERE id = $1", [message.id])
        // A session that names its user in msgrelay.actor is recorded as that user.
        try db.transaction {
            try db.query("SELECT set_config('msgrelay.actor', $1, true)", [f.admin.id.lowercasedString])
            try db.query("UPDATE messages SET deleted_at = now() WHERE id = $1", [message.id])
        }
        // The setting lasted for that transaction only; garbage in it names nobody.
        try db.query("UPDATE messages SET deleted_at = NULL WHERE id = $1", [message.id])
        try db.transaction {
            try db.query("SELECT set_config('msgrelay.actor', 'x''; DROP TABLE messages; --', true)")
            try db.query("UPDATE messages SET content = 'typo here!' WHERE id = $1", [message.id])
        }

        let rows = try db.query(
            "SELECT action, previous_content, actor_id, database_role FROM message_history WHERE message_id = $1 ORDER BY id", [message.id])
        let entries = try rows.map {
            (
                try $0.decode(0, as: String.self), try $0.decode(1, as: String?.self), try $0.decode(2, as: UUID?.self),
                try $0.decode(3, as: String.self)
            )
        }
        #expect(entries.map(\.0) == ["edit", "delete", "restore", "edit"])
        #expect(entries.map(\.1) == ["typo hree", nil, nil, "typo here"])
        #expect(entries.map(\.2) == [nil, f.admin.id, nil, nil])
        #expect(entries.allSatisfy { $0.3 == role })
        #expect(try db.scalar("SELECT content FROM messages WHERE id = $1", [message.id], as: String.self) == "typo here!")

        // msgctl shows who: the database role when the change named nobody.
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "NO_COLOR": "1"]
        let show = try await ProcessRunner.ours("msgctl", ["show", "alice", "--history"], environment: env)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("by database role \(role)"), "\(show.stdout)")
        #expect(show.stdout.contains("| typo hree") && show.stdout.contains("[deleted ") && show.stdout.contains("by admin]"), "\(show.stdout)")
    }

    @Test func msgctlRecordsItsAdminAndShowsAndExportsHistoryEscaped() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        _ = try ConversationRepository.insert(db, userId: f.alice.id)
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "NO_COLOR": "1"]
        let hostile = "=cmd|' /C calc'!A0 \u{1B}[31mred\u{1B}[0m \u{202E}evil\r\nsecond line"

        let reply = try await ProcessRunner.ours("msgctl", ["reply", "alice", hostile], environment: env)
        #expect(reply.status == 0, "\(reply.stderr)")
        let id = reply.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let edit = try await ProcessRunner.ours("msgctl", ["edit", id, "fixed <b>&</b>"], environment: env)
        #expect(edit.status == 0, "\(edit.stderr)")

        let show = try await ProcessRunner.ours("msgctl", ["show", "alice", "--history"], environment: env)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("fixed <b>&</b>") && show.stdout.contains("[earlier version, written "), "\(show.stdout)")
        #expect(show.stdout.contains("by admin]"))
        #expect(
            !show.stdout.contains("\u{1B}") && !show.stdout.contains("\u{202E}") && !show.stdout.contains("\r"), "\(show.stdout.debugDescription)")
        #expect(show.stdout.contains("\\u{1B}[31mred"), "\(show.stdout)")
        let plain = try await ProcessRunner.ours("msgctl", ["show", "alice"], environment: env)
        #expect(!plain.stdout.contains("earlier version") && !plain.stdout.contains("calc"))
        let json = try await ProcessRunner.ours("msgctl", ["show", "alice", "--history", "--json"], environment: env)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["messages"] as? [Any])?.count == 1)
        let entries = try #require((object["history"] as? [String: [[String: Any]]])?[id])
        #expect(entries.count == 1 && entries[0]["previous_content"] as? String == hostile)

        let delete = try await ProcessRunner.ours("msgctl", ["delete", "--message", id, "--yes"], environment: env)
        #expect(delete.status == 0, "\(delete.stderr)")

        // JSON lines: the exact texts, every change with its actor.
        let jsonl = try await ProcessRunner.ours("msgctl", ["export", "--include-deleted", "--include-history"], environment: env)
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        let row = try #require(try JSONSerialization.jsonObject(with: Data(jsonl.stdout.utf8)) as? [String: Any])
        let history = row.array("history")
        #expect(history.map { $0["action"] as? String } == ["edit", "delete"])
        #expect(history.map { $0["actor_username"] as? String } == ["admin", "admin"])
        #expect(history[0]["previous_content"] as? String == hostile)
        #expect(history[1]["changed_at"] as? String == row.string("deleted_at"))
        #expect(history[0]["changed_at"] as? String == row.string("edited_at"))
        #expect(history[0]["previous_written_at"] as? String == row.string("created_at"))
        // Without the flag, the shape is as before.
        let before = try await ProcessRunner.ours("msgctl", ["export", "--include-deleted"], environment: env)
        #expect(!before.stdout.contains("\"history\"") && before.stdout.contains("fixed"))

        // CSV: a last column holding the same JSON, quoted as RFC 4180 wants.
        let csv = try await ProcessRunner.ours("msgctl", ["export", "--include-deleted", "--include-history", "--format", "csv"], environment: env)
        #expect(csv.status == 0, "\(csv.stderr)")
        let records = try ExportParsing.csv(csv.stdout)
        #expect(records.count == 2 && records[0].last == "history" && records[1].count == records[0].count)
        let column = try #require(records.last?.last)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(column.utf8)) as? [[String: Any]])
        #expect(parsed.first?["previous_content"] as? String == hostile)

        // Markdown: the replaced text quoted, no HTML, no line that leaves the quote.
        let markdown = try await ProcessRunner.ours(
            "msgctl", ["export", "--include-deleted", "--include-history", "--format", "markdown"], environment: env)
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.contains("*Earlier version* · written ") && markdown.stdout.contains("*Deleted* "), "\(markdown.stdout)")
        #expect(markdown.stdout.contains("> second line") && markdown.stdout.contains("&lt;b&gt;&amp;&lt;/b&gt;"))

        let mbox = try await ProcessRunner.ours("msgctl", ["export", "--include-history", "--format", "mbox"], environment: env)
        #expect(mbox.status == ExitStatus.usage.rawValue && mbox.stderr.contains("--include-history"))
    }

    /// Migration 28 on a table in use: writers go on while its index waits for an old snapshot, and their edits are
    /// already recorded.
    @Test func theMigrationLetsWritersGoOn() async throws {
        let database = try await TestDatabase.create(migrated: false)
        let db = try database.connect()
        try Migrator(migrations: Migration.all.filter { $0.id != 28 }).migrate(db)
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, 'message ' || n FROM generate_series(1, 2000) n",
            [conversation.id, f.alice.id])
        // A long reader (an export's snapshot): a concurrent index build waits for it to end.
        let reader = try database.connect()
        try reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        _ = try reader.scalar("SELECT count(*) FROM messages", as: Int.self)

        async let migrated = ProcessRunner.ours("msgctl", ["db", "migrate"], environment: ["DATABASE_URL": database.conninfo])
        try await waitFor("the index build to wait for the reader") {
            try db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'CREATE INDEX CONCURRENTLY%idx_messages_deleted_at%' AND wait_event IS NOT NULL",
                as: Int.self) == 1
        }
        // Meanwhile writers go on, and the trigger already records their edits.
        try db.execute("SET statement_timeout = '5s'")
        let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "during")
        #expect(try MessageRepository.edit(db, id: message.id, content: "during, edited", by: f.alice.id) != nil)
        #expect(try MessageRepository.softDelete(db, id: message.id, by: f.admin.id) != nil)
        #expect(try db.scalar("SELECT count(*) FROM message_history WHERE message_id = $1", [message.id], as: Int.self) == 2)

        try reader.execute("COMMIT")
        let result = try await migrated
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_messages_deleted_at'::regclass", as: Bool.self))
        #expect(try db.scalar("SELECT count(*) FROM schema_migrations WHERE version = 28", as: Int.self) == 1)
    }

    /// The database's clock 10 minutes ahead of msgctl's (a private cluster under libfaketime): `purge` takes the files
    /// by the same cut-off as the messages, so a message it keeps keeps its file. (Turned into an age on msgctl's clock,
    /// the cut-off of files fell 10 minutes later on the database's and took the file of a message deleted in between,
    /// which `purge` kept.)
    @Test func purgeKeepsTheFilesOfTheMessagesItKeepsWhateverTheClocks() async throws {
        let cluster = try PrivateCluster.start(clockOffset: "+600")
        defer { try? cluster.stop() }
        let migrate = try await ProcessRunner.ours("msgctl", ["db", "migrate"], environment: ["DATABASE_URL": cluster.conninfo])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let db = PostgresConnection(conninfo: cluster.conninfo)
        try db.connect()
        defer { db.close() }
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "with a file").id
        _ = try MessageRepository.softDelete(db, id: message, by: f.admin.id)
        try db.query("UPDATE messages SET deleted_at = now() - interval '10 minutes' WHERE id = $1", [message])
        let folder = try TestEnvironment.scratchFolder("purge-clock").path
        for sub in ["/files", "/tmp"] { try FileManager.default.createDirectory(atPath: folder + sub, withIntermediateDirectories: true) }
        let key = "0123456789abcdef0123456789abcdef"
        FileManager.default.createFile(atPath: folder + "/files/" + key, contents: Data("file".utf8))
        try db.query(
            """
            INSERT INTO attachments (owner_id, conversation_id, message_id, position, store_key, filename, content_type, size, state)
            VALUES ($1, $2, $3, 1, $4, 'a.txt', 'text/plain', 4, 'attached')
            """, [f.alice.id, conversation.id, message, key])

        // Deleted 10 minutes ago by the database's clock, at about this moment by msgctl's: after a cut-off of 5 minutes ago.
        let purge = try await ProcessRunner.ours(
            "msgctl", ["purge", "--deleted-before", "5m", "--yes"],
            environment: ["DATABASE_URL": cluster.conninfo, "NO_COLOR": "1", "ATTACHMENT_STORE": "local:\(folder)"])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(purge.stdout.hasPrefix("removed 0 messages"), "\(purge.stdout)")
        #expect(try db.scalar("SELECT state FROM attachments WHERE message_id = $1", [message], as: String.self) == "attached")
        #expect(FileManager.default.fileExists(atPath: folder + "/files/" + key))
    }

    @Test func purgeRemovesExactlyTheMessagesDeletedBeforeTheCutoff() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        func message(_ text: String) throws -> UUID {
            try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: text).id
        }
        func delete(_ id: UUID, daysAgo: Int) throws {
            _ = try MessageRepository.softDelete(db, id: id, by: f.admin.id)
            try db.query("UPDATE messages SET deleted_at = now() - make_interval(days => $2) WHERE id = $1", [id, daysAgo])
        }
        let old = try message("old")
        _ = try MessageRepository.edit(db, id: old, content: "old, edited", by: f.alice.id)
        try delete(old, daysAgo: 100)
        let oldWithJob = try message("old with a job")
        try delete(oldWithJob, daysAgo: 91)
        try db.query("INSERT INTO notification_outbox (kind, message_id, failed_at, last_error) VALUES ('slack', $1, now(), 'gave up')", [oldWithJob])
        let recent = try message("recent")
        try delete(recent, daysAgo: 10)
        let live = try message("live")
        let withFile = try message("with a file")
        try delete(withFile, daysAgo: 100)
        try db.query(
            """
            INSERT INTO attachments (owner_id, conversation_id, message_id, position, store_key, filename, content_type, size, state)
            VALUES ($1, $2, $3, 1, 'k/1', 'a.png', 'image/png', 10, 'attached')
            """, [f.alice.id, conversation.id, withFile])
        let slackParent = try message("heads the Slack thread")
        try delete(slackParent, daysAgo: 100)
        try SlackThreadRepository.insert(
            db, SlackThread(conversationId: conversation.id, channelId: "C1", threadTs: "1.1", parentTs: "1.1", parentMessageId: slackParent))
        let count = { try db.scalar("SELECT count(*) FROM messages", as: Int.self) }
        #expect(try count() == 6)
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "NO_COLOR": "1", "ATTACHMENT_STORE": nil]

        // Off a terminal, only with --yes.
        let refused = try await ProcessRunner.ours("msgctl", ["purge", "--deleted-before", "90d"], environment: env, input: "y\n")
        #expect(refused.status == ExitStatus.usage.rawValue && refused.stderr.contains("without --yes"), "\(refused.stderr)")
        #expect(try count() == 6)

        let purge = try await ProcessRunner.ours("msgctl", ["purge", "--deleted-before", "90d", "--yes"], environment: env)
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(purge.stdout.contains("removed 2 messages deleted before "), "\(purge.stdout)")
        #expect(purge.stdout.contains("3 history entries, 1 notification jobs"), "\(purge.stdout)")
        #expect(purge.stdout.contains("kept 1 message whose files are still stored"), "\(purge.stdout)")
        #expect(purge.stdout.contains("kept 1 message that a conversation's Slack thread starts from"), "\(purge.stdout)")
        let left = Set(try db.query("SELECT id FROM messages").map { try $0.decode(0, as: UUID.self) })
        #expect(left == [recent, live, withFile, slackParent])
        #expect(try db.scalar("SELECT count(*) FROM message_history WHERE message_id = ANY($1::uuid[])", [[old, oldWithJob]], as: Int.self) == 0)
        #expect(try db.scalar("SELECT count(*) FROM message_history WHERE message_id = $1", [recent], as: Int.self) == 1)
        #expect(try db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)
        #expect(try db.scalar("SELECT count(*) FROM attachments", as: Int.self) == 1)
        #expect(try db.scalar("SELECT count(*) FROM slack_threads", as: Int.self) == 1)

        // A store setting of blanks only names no store, for purge as for the relay and `msgctl attachments`.
        var blankStore = env
        blankStore["ATTACHMENT_STORE"] = " \n"
        let again = try await ProcessRunner.ours("msgctl", ["purge", "--deleted-before", "90d", "--yes"], environment: blankStore)
        #expect(again.status == 0 && again.stdout.hasPrefix("removed 0 messages"), "\(again.stderr)")

        // On a terminal it asks; anything but yes keeps everything.
        let msgctl = TestEnvironment.binary("msgctl")
        let declined = try TerminalSession("\(msgctl) purge --deleted-before 5d; echo exit=$?", environment: env)
        defer { declined.stop() }
        try await declined.waitFor("remove the 1 message deleted before ")
        declined.type("n\r")
        try await declined.waitFor("exit=1")
        #expect(declined.text.contains("nothing purged"))
        #expect(try count() == 4)
        let accepted = try TerminalSession("\(msgctl) purge --deleted-before 5d; echo exit=$?", environment: env)
        defer { accepted.stop() }
        try await accepted.waitFor("[y/N]")
        accepted.type("y\r")
        try await accepted.waitFor("exit=0")
        #expect(accepted.text.contains("removed 1 message deleted before "), "\(accepted.text)")
        #expect(try count() == 3)
    }

    @Test func hostileInputIsRefusedCleanly() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let kept = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "kept")
        _ = try MessageRepository.softDelete(db, id: kept.id, by: f.alice.id)
        let env: [String: String?] = ["DATABASE_URL": database.conninfo]
        let refusedSpans = [
            "-5d", "99999999999d", "9223372036854775807s", "5", "d", "", "5 d", "5D", "1y", "2026-13-45T00:00:00Z", "'; DROP TABLE messages; --",
        ]
        for span in refusedSpans {
            let result = try await ProcessRunner.ours("msgctl", ["purge", "--deleted-before=\(span)", "--yes"], environment: env)
            #expect(result.status == ExitStatus.usage.rawValue, "\(span): \(result.status) \(result.stderr)")
            // Refused as every bad option value is: the reason first, then the usage.
            let reason = span.isEmpty ? "Error: Missing value for '--deleted-before" : "Error: --deleted-before must be"
            #expect(result.stderr.hasPrefix(reason), "\(span): \(result.stderr)")
        }
        let future = try await ProcessRunner.ours("msgctl", ["purge", "--deleted-before", "2999-01-01T00:00:00Z", "--yes"], environment: env)
        #expect(future.status == ExitStatus.usage.rawValue && future.stderr.contains("must not be in the future"), "\(future.stderr)")
        // Without `=`, -5d reads as an option: refused all the same.
        for arguments in [["purge", "--yes"], ["purge", "--deleted-before", "-5d", "--yes"]] {
            let missing = try await ProcessRunner.ours("msgctl", arguments, environment: env)
            #expect(missing.status == ExitStatus.usage.rawValue && missing.stderr.contains("--deleted-before"), "\(missing.stderr)")
        }
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 1)

        let show = try await ProcessRunner.ours("msgctl", ["show", "nobody", "--history"], environment: env)
        #expect(show.status == ExitStatus.noUser.rawValue)

        let relay = try await TestRelay(database: database)
        let admin = relay.token(f.admin)
        for (path, status) in [
            ("/api/messages/not-a-uuid/history", 400), ("/api/messages/%27%20OR%201%3D1%20--/history", 400),
            ("/api/messages/\(String(repeating: "a", count: 5000))/history", 400), ("/api/messages/\(UUID().lowercasedString)/history", 404),
            ("/api/messages/\(kept.id.lowercasedString)/history", 200),
        ] {
            let answer = try await relay.request("GET", path, token: admin)
            #expect(answer.status == status, "\(path.prefix(60)): \(answer.status) \(answer.text)")
            #expect(answer.status == 200 || answer.error != nil)
        }
        #expect((try await relay.request("GET", "/api/messages/\(kept.id.lowercasedString)/history")).status == 401)
        let user = try await relay.request("GET", "/api/messages/\(UUID().lowercasedString)/history", token: relay.token(f.alice))
        #expect(user.status == 403)
        try await relay.stop()
    }
}
