import Foundation
import MsgLib
import TestSupport
import Testing

/// msgctl list, show and reply as processes, against a database and a live relay.
@Suite(.needsProcesses, .processSlot) struct CtlConversationTests {
    /// A reply or edit whose text comes from a stdin that cannot be read, is not UTF-8 or holds more than a message is
    /// refused in one line, without a trace and before anything is sent.
    @Test func textFromAnUnusableStandardInputIsRefused() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "hello")
        let msgctl = TestEnvironment.binary("msgctl")
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "MSGCTL": msgctl]
        for (script, status, words) in [
            (#""$MSGCTL" reply alice < /"#, Int32(66), "cannot read standard input"),
            (#""$MSGCTL" reply alice <&-"#, 66, "cannot read standard input"),
            (#"printf '\377\376hi' | "$MSGCTL" reply alice"#, 65, "not UTF-8"),
            (#"head -c 50000 /dev/zero | tr '\0' a | "$MSGCTL" reply alice"#, 65, "longer than a message"),
            (#"head -c 100000000 /dev/zero 2>/dev/null | "$MSGCTL" reply alice"#, 65, "longer than a message"),
        ] {
            let result = try await ProcessRunner.run("/bin/sh", ["-c", script], environment: env)
            #expect(result.status == status, "\(script): \(result.stderr)")
            #expect(result.stderr.contains(words) && result.stderr.split(separator: "\n").count == 1, "\(script): \(result.stderr)")
        }
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 1)
    }

    @Test func replyReachesTheUsersSocketAndListShowSeeIt() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Is my order shipped?")
        let relay = try await TestRelay(database: database)
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")
        let env: [String: String?] = ["DATABASE_URL": database.conninfo]

        let reply = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["reply", "alice", "Yes, it left today."], environment: env)
        #expect(reply.status == 0, "\(reply.stderr)")
        let id = reply.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let delivered = try await socket.next(type: "message")
        #expect(delivered.data["id"] as? String == id)
        #expect(delivered.data["content"] as? String == "Yes, it left today.")
        #expect((delivered.data["sender"] as? [String: Any])?["username"] as? String == "admin")

        // From stdin, naming the conversation by an id prefix.
        let prefix = String(conversation.id.lowercasedString.prefix(13))
        let piped = try await ProcessRunner.ours("msgctl", ["reply", prefix], environment: env, input: "Tracking number follows.\n")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect((try await socket.next(type: "message")).data["content"] as? String == "Tracking number follows.")
        // Only the last line's newline goes: blank lines around the text are the text's.
        let lines = try await ProcessRunner.ours("msgctl", ["reply", "alice"], environment: env, input: "\n\nFirst\n\n")
        #expect(lines.status == 0, "\(lines.stderr)")
        #expect((try await socket.next(type: "message")).data["content"] as? String == "\n\nFirst\n")
        let crlf = try await ProcessRunner.ours("msgctl", ["reply", "alice"], environment: env, input: "Windows\r\n")
        #expect(crlf.status == 0, "\(crlf.stderr)")
        #expect((try await socket.next(type: "message")).data["content"] as? String == "Windows")

        let list = try await ProcessRunner.ours("msgctl", ["list", "--json"], environment: env)
        let object = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Any]
        let items = object?["conversations"] as? [[String: Any]] ?? []
        #expect(items.count == 1)
        #expect(items.first?["unread_count"] as? Int == 1)
        #expect(items.first?["last_message_preview"] as? String == "Windows")
        let human = try await ProcessRunner.ours("msgctl", ["list"], environment: env)
        #expect(human.stdout.contains("alice") && human.stdout.contains("1 conversations"))
        let unread = try await ProcessRunner.ours("msgctl", ["list", "--unread", "--json"], environment: env)
        #expect(unread.stdout.contains(conversation.id.lowercasedString))
        // A user named by id, as by username.
        for name in [f.alice.id.lowercasedString, "alice"] {
            let byUser = try await ProcessRunner.ours("msgctl", ["list", "--user", name, "--json"], environment: env)
            #expect(byUser.status == 0, "\(byUser.stderr)")
            #expect(byUser.stdout.contains(conversation.id.lowercasedString))
        }

        let show = try await ProcessRunner.ours("msgctl", ["show", "alice"], environment: env)
        #expect(show.status == 0)
        #expect(show.stdout.contains("Is my order shipped?") && show.stdout.contains("Yes, it left today.") && show.stdout.contains("admin (admin)"))
        let json = try await ProcessRunner.ours("msgctl", ["show", conversation.id.lowercasedString, "--json"], environment: env)
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["messages"] as? [Any] != nil)
        try await relay.stop()
    }

    /// The ids `list` shows name their conversations: two started in the same minute share their first 8 hex digits
    /// (a uuidv7's time), so the shown part carries the whole millisecond, and `show` takes it back.
    @Test func theIdsListShowsNameOneConversationEach() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let ids = ["01938888-0001-7000-8000-0000000000a1", "01938888-0002-7000-8000-0000000000b2"]
        for (id, user) in zip(ids, [f.alice, f.bob]) {
            try db.query("INSERT INTO conversations (id, user_id) VALUES ($1::uuid, $2)", [id, user.id])
        }
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "NO_COLOR": "1"]
        let list = try await ProcessRunner.ours("msgctl", ["list"], environment: env)
        #expect(list.status == 0, "\(list.stderr)")
        for (id, user) in zip(ids, ["alice", "bob"]) {
            let row = try #require(list.stdout.split(separator: "\n").first { $0.contains(" \(user) ") }, "\(list.stdout)")
            let shown = String(row.split(separator: " ")[0])
            #expect(id.hasPrefix(shown) && shown.count >= 13, "\(shown)")
            let show = try await ProcessRunner.ours("msgctl", ["show", shown], environment: env)
            #expect(show.status == 0 && show.stdout.hasPrefix("conversation with \(user.capitalized) (\(user))"), "\(show.stdout)\(show.stderr)")
        }
    }

    @Test func badInputIsOneLineAndTheRightStatus() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        _ = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try ConversationRepository.insert(db, userId: f.bob.id)
        let env: [String: String?] = ["DATABASE_URL": database.conninfo]
        let cases: [([String], Int32, String)] = [
            (["reply", "nobody", "hi"], ExitStatus.noUser.rawValue, "no conversation or user \"nobody\""),
            (["reply", "alice", ""], ExitStatus.dataError.rawValue, "Content must be between 1 and 10000 characters"),
            (
                ["reply", "alice", String(repeating: "x", count: 10_001)], ExitStatus.dataError.rawValue,
                "Content must be between 1 and 10000 characters"
            ),
            (["reply", "01a", "hi"], ExitStatus.noUser.rawValue, "no conversation or user"),
            (["show", "alice", "--as", "bob"], ExitStatus.noPermission.rawValue, "bob is not an admin"),
            (["list", "--limit", "0"], ExitStatus.usage.rawValue, "--limit"),
            (["list", "--user", f.admin.id.lowercasedString], ExitStatus.noUser.rawValue, "admin has no conversation yet"),
            (["tail", "--relay", "https://relay.example"], ExitStatus.usage.rawValue, "--relay must be an http:// or ws:// URL"),
        ]
        for (arguments, status, message) in cases {
            let result = try await ProcessRunner.ours("msgctl", arguments, environment: env)
            #expect(result.status == status, "\(arguments.prefix(2)): \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments.prefix(2)): \(result.stderr)")
        }
        // Both conversations' ids start alike (uuidv7 time prefix): a short prefix is ambiguous.
        let both = try db.query("SELECT id::text FROM conversations ORDER BY id").map { try $0.decode(0, as: String.self) }
        let common = String(zip(both[0], both[1]).prefix { $0 == $1 }.map(\.0))
        if common.count >= 4 {
            let ambiguous = try await ProcessRunner.ours("msgctl", ["show", common], environment: env)
            #expect(ambiguous.status == ExitStatus.dataError.rawValue)
            #expect(ambiguous.stderr.contains("matches several conversations"))
        }
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 0)
        // A username that is also the start of a conversation's id (another user's) is refused, not guessed.
        let alices = try #require(try ConversationRepository.find(db, userId: f.alice.id))
        let lookalike = String(alices.id.lowercasedString.prefix(13))
        let named = try UserRepository.insert(db, username: lookalike, displayName: "Lookalike")
        _ = try ConversationRepository.insert(db, userId: named.id)
        let guessed = try await ProcessRunner.ours("msgctl", ["reply", lookalike, "your invoice"], environment: env)
        #expect(guessed.status == ExitStatus.dataError.rawValue, "\(guessed.stderr)")
        #expect(guessed.stderr.contains("is the username of \(named.id.lowercasedString)"), "\(guessed.stderr)")
        #expect(try await ProcessRunner.ours("msgctl", ["reply", named.id.lowercasedString, "hi"], environment: env).status == 0)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE conversation_id = $1", [alices.id], as: Int.self) == 0)
        // A username that is a whole id of another's conversation (or user): refused too.
        for other in [alices.id, f.alice.id] {
            let whole = try UserRepository.insert(db, username: other.lowercasedString, displayName: "Whole")
            _ = try ConversationRepository.insert(db, userId: whole.id)
            let taken = try await ProcessRunner.ours("msgctl", ["reply", other.lowercasedString, "your invoice"], environment: env)
            #expect(taken.status == ExitStatus.dataError.rawValue, "\(taken.stderr)")
            #expect(taken.stderr.contains("is the username of \(whole.id.lowercasedString)"), "\(taken.stderr)")
            #expect(try await ProcessRunner.ours("msgctl", ["reply", whole.id.lowercasedString, "hi"], environment: env).status == 0)
        }
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE conversation_id = $1", [alices.id], as: Int.self) == 0)
        // A username that is an admin's id names neither, wherever msgctl takes a user: a token for that text, an
        // export of that user's messages or a command acting as them would otherwise be the admin's.
        let mimic = try UserRepository.insert(db, username: f.admin.id.lowercasedString, displayName: "Mimic")
        var signing = env
        signing["JWT_SECRET"] = "conversation-test-secret"
        for arguments in [["token", "--user"], ["export", "--format", "jsonl", "--user"], ["reply", "alice", "hi", "--as"]] {
            let refused = try await ProcessRunner.ours("msgctl", arguments + [f.admin.id.lowercasedString], environment: signing)
            #expect(refused.status == ExitStatus.dataError.rawValue && refused.stdout.isEmpty, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains("is the id of admin and the username of \(mimic.id.lowercasedString)"), "\(refused.stderr)")
        }
        #expect(try await ProcessRunner.ours("msgctl", ["token", "--user", mimic.id.lowercasedString], environment: signing).status == 0)
        #expect(try await ProcessRunner.ours("msgctl", ["token", "--user", "admin"], environment: signing).status == 0)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE conversation_id = $1", [alices.id], as: Int.self) == 0)
        // A reply run again with its idempotency key (its outcome unknown the first time) is written once.
        let keyed = ["reply", "alice", "your parcel left", "--idempotency-key", "order-1234-shipped"]
        let first = try await ProcessRunner.ours("msgctl", keyed, environment: env)
        let again = try await ProcessRunner.ours("msgctl", keyed, environment: env)
        #expect(first.status == 0 && again.status == 0, "\(first.stderr) \(again.stderr)")
        #expect(first.stdout == again.stdout && !first.stdout.isEmpty)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE content = 'your parcel left'", as: Int.self) == 1)
        let reused = try await ProcessRunner.ours(
            "msgctl", ["reply", "alice", "another text", "--idempotency-key", "order-1234-shipped"], environment: env)
        #expect(reused.status == ExitStatus.dataError.rawValue && reused.stderr.contains("idempotency key"), "\(reused.stderr)")
        let spaced = try await ProcessRunner.ours("msgctl", ["reply", "alice", "x", "--idempotency-key", "a b"], environment: env)
        #expect(spaced.status == ExitStatus.usage.rawValue, "\(spaced.stderr)")
        // Two admins: msgctl must be told which.
        _ = try UserRepository.insert(db, username: "second", displayName: "Second", isAdmin: true)
        let which = try await ProcessRunner.ours("msgctl", ["list"], environment: env)
        #expect(which.status == ExitStatus.dataError.rawValue && which.stderr.contains("--as"))
        #expect(try await ProcessRunner.ours("msgctl", ["list", "--as", "second"], environment: env).status == 0)
    }
}

extension CtlConversationTests {
    @Test func archiveReadEditDeleteAndSearch() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let asked = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Where is my <b>invoice</b>?")
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Hello? \u{1B}[31mred\u{1B}[0m invoice")
        let env: [String: String?] = ["DATABASE_URL": database.conninfo]
        func ctl(_ arguments: [String], input: String? = nil) async throws -> ProcessResult {
            try await ProcessRunner.ours("msgctl", arguments, environment: env, input: input)
        }

        // Search: matches marked, HTML decoded for the terminal, escape sequences from messages neutralised.
        let search = try await ctl(["search", "invoice"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.contains("*invoice*"))
        #expect(search.stdout.contains("<b>"))
        #expect(!search.stdout.contains("\u{1B}"))
        #expect(search.stdout.contains("2 of 2 matches"))
        let json = try await ctl(["search", "invoice", "--conversation", "alice", "--limit", "1", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["total"] as? Int == 2)
        #expect((object?["results"] as? [Any])?.count == 1)
        #expect(try await ctl(["search", "invoice", "--after", "soon"]).status == ExitStatus.usage.rawValue)

        // Archive and back.
        #expect(try await ctl(["archive", "alice"]).stdout == "archived \(conversation.id.lowercasedString)\n")
        #expect(try ConversationRepository.find(db, id: conversation.id)?.archivedByAdmin == true)
        #expect(try await ctl(["list", "--archived", "--json"]).stdout.contains(conversation.id.lowercasedString))
        #expect(try await ctl(["unarchive", "alice"]).status == 0)
        #expect(try ConversationRepository.find(db, id: conversation.id)?.archivedByAdmin == false)

        // Read everything.
        #expect(try await ctl(["read", "--all"]).stdout == "marked 2 messages read\n")
        #expect(try ConversationRepository.find(db, id: conversation.id)?.unreadCountAdmin == 0)
        #expect(try await ctl(["read"]).status == ExitStatus.usage.rawValue)

        // Edit: only the admin's own message.
        let reply = try await ctl(["reply", "alice", "Sent yesterday"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await ctl(["edit", reply, "Sent this morning"]).status == 0)
        #expect(try MessageRepository.find(db, id: UUID(uuidString: reply)!)?.content == "Sent this morning")
        let notMine = try await ctl(["edit", asked.id.lowercasedString, "x"])
        #expect(notMine.status == ExitStatus.noPermission.rawValue)

        // Delete: refuses without a terminal unless --yes; soft.
        let refused = try await ctl(["delete", "--message", asked.id.lowercasedString])
        #expect(refused.status == ExitStatus.usage.rawValue && refused.stderr.contains("--yes"))
        #expect(try await ctl(["delete", "--message", asked.id.lowercasedString, "--yes"]).stdout == "deleted 1 message\n")
        // The question names whose conversation an id prefix is.
        let prefix = String(conversation.id.lowercasedString.prefix(8))
        let unasked = try await ctl(["delete", prefix])
        #expect(unasked.stderr.contains("alice's conversation"), "\(unasked.stderr)")
        #expect(try await ctl(["delete", "alice", "--yes"]).stdout == "deleted 2 messages\n")
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE deleted_at IS NULL", as: Int.self) == 0)
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 3)
    }
}
