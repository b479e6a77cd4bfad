import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// The REPL driven through a pseudo-terminal, against a real relay and database.
@Suite(.needsProcesses, .processSlot) struct ReplTests {
    let msgctl = TestEnvironment.binary("msgctl")

    /// A REPL signed in through JWT_SECRET, with its history under `home`.
    func repl(_ relay: TestRelay, home: String, extra: String = "") throws -> TerminalSession {
        try TerminalSession(
            "stty -g; \(msgctl) \(extra); echo; stty -g",
            environment: [
                "DATABASE_URL": relay.database.conninfo, "JWT_SECRET": TestRelay.secret, "MSGRELAY_URL": "http://127.0.0.1:\(relay.port)",
                "XDG_DATA_HOME": home, "HOME": home, "NO_COLOR": "1",
            ])
    }

    func temporaryHome() throws -> String {
        let path = NSTemporaryDirectory() + "msgctl-home-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aLiveMessageLeavesTheHalfTypedLineIntact() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Is my order shipped?")
        let relay = try await TestRelay(database: database)
        let alice = try relay.socket(f.alice)
        _ = try await alice.next(type: "connected")
        let terminal = try repl(relay, home: try temporaryHome())
        defer { terminal.stop() }
        var at = try await terminal.waitFor("1 unread message in 1 conversation")
        at = try await terminal.waitFor("connected to the relay", after: at)
        terminal.type("\\n\r")
        at = try await terminal.waitFor("alice: Is my order shipped?", after: at)
        at = try await terminal.waitFor("msg[alice]> ", after: at)
        // Opening the conversation marked it read: Alice's sockets hear of it.
        let receipt = try await alice.next(type: "message_read")
        #expect(receipt.data["read_by"] as? String == f.admin.id.lowercasedString)

        terminal.type("Yes, it left")
        // Composing announces typing to the user.
        let typing = try await alice.next(type: "typing")
        #expect(typing.data["is_typing"] as? Bool == true)
        #expect(typing.data["user_id"] as? String == f.admin.id.lowercasedString)
        try alice.send(.sendMessage(conversationId: nil, content: "Any news?"))
        at = try await terminal.waitFor("alice: Any news?", after: at)
        // The half line is drawn again under the message, and finishing it sends it whole.
        at = try await terminal.waitFor("msg[alice]> Yes, it left", after: at)
        terminal.type(" today.\r")
        let reply = try await alice.next(timeout: 10) { $0.type == "message" && $0.data["content"] as? String == "Yes, it left today." }
        #expect((reply.data["sender"] as? [String: Any])?["username"] as? String == "admin")
        at = try await terminal.waitFor("you: Yes, it left today.", after: at)

        // Ctrl-C abandons a line; Ctrl-D leaves, and the terminal settings are as before.
        terminal.type("never sent\u{03}")
        at = try await terminal.waitFor("^C", after: at)
        terminal.type("\u{04}")
        try await waitFor("the REPL to exit") { !terminal.isRunning }
        #expect(terminal.exitStatus == 0, "\(terminal.text.suffix(500))")
        let settings = terminal.text.split(separator: "\n").filter { line in
            line.filter { $0 == ":" }.count >= 10 && line.allSatisfy { $0 == ":" || $0.isHexDigit }
        }
        #expect(settings.count == 2, "\(terminal.text.suffix(400))")
        #expect(Set(settings).count == 1, "stty before and after: \(settings)")
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE content LIKE 'never sent%'", as: Int.self) == 0)
        try await relay.stop()
    }

    /// A relay that refuses the REPL's socket (a bad token) upgrades it to say why, then closes it: the REPL says so
    /// once and tries again less and less often, never claiming to be connected.
    @Test func aRefusedSocketIsToldOnceAndTriedLessOften() async throws {
        let database = try await TestDatabase.create()
        _ = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let terminal = try repl(relay, home: try temporaryHome(), extra: "repl --token not.a.token")
        defer { terminal.stop() }
        _ = try await terminal.waitFor("(unauthorized)")
        // Attempts after 1, 2 and 4 s: 7 s hold three more at most (one a second would be seven).
        let waited = Date().addingTimeInterval(7)
        try await waitFor("seven seconds", timeout: 20) { Date() > waited }
        let text = terminal.text
        #expect(text.components(separatedBy: "(unauthorized)").count == 2, "\(text.suffix(800))")
        #expect(!text.contains("connected to the relay"), "\(text.suffix(800))")
        #expect(text.components(separatedBy: "relay unreachable").count <= 2, "\(text.suffix(800))")
        try await relay.stop()
    }

    /// A client repeats `is_typing` while its user types: the REPL says so once, and again only after it stopped.
    @Test func typingIsShownOncePerSpell() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Hello")
        let relay = try await TestRelay(database: database)
        let alice = try relay.socket(f.alice)
        _ = try await alice.next(type: "connected")
        let watcher = try relay.socket(f.admin)
        _ = try await watcher.next(type: "connected")
        let terminal = try repl(relay, home: try temporaryHome())
        defer { terminal.stop() }
        var at = try await terminal.waitFor("connected to the relay")
        terminal.type("\\o alice\r")
        at = try await terminal.waitFor("msg[alice]> ", after: at)
        try alice.send(.typing(conversationId: conversation.id, isTyping: true))
        at = try await terminal.waitFor("alice is typing", after: at)
        // The client says it again past the relay's 2 s between two.
        let again = Date().addingTimeInterval(2.2)
        try await waitFor("2.2 seconds") { Date() > again }
        try alice.send(.typing(conversationId: conversation.id, isTyping: true))
        try await waitFor("the second typing event at an admin's socket") { watcher.all(type: "typing").count == 2 }
        terminal.type("\\l\r")
        at = try await terminal.waitFor("alice  ", after: at)
        #expect(terminal.text.components(separatedBy: "is typing").count == 2, "\(terminal.text.suffix(600))")
        try await relay.stop()
    }

    @Test func completionAndHistoryAcrossRestarts() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Hello")
        let relay = try await TestRelay(database: database)
        let home = try temporaryHome()
        let first = try repl(relay, home: home)
        defer { first.stop() }
        var at = try await first.waitFor("connected to the relay")
        // Tab completes a command argument from the usernames.
        first.type("\\o al\t")
        at = try await first.waitFor("\\o alice", after: at)
        first.type("\r")
        at = try await first.waitFor("msg[alice]> ", after: at)
        first.type("\\h 1\r")
        at = try await first.waitFor("conversation with Alice (alice), 1 messages", after: at)
        // \e exports the open conversation with msgctl export's Markdown.
        first.type("\\e \(home)/alice.md\r")
        at = try await first.waitFor("wrote 1 message to \(home)/alice.md", after: at)
        let exported = try String(contentsOfFile: home + "/alice.md", encoding: .utf8)
        #expect(exported.contains("Hello"))
        #expect(exported.hasPrefix("#"))
        first.type("\\q\r")
        try await waitFor("the first REPL to exit") { !first.isRunning }
        let history = try String(contentsOfFile: home + "/msgctl/history", encoding: .utf8)
        #expect(history.contains("\\134o\\040alice"))

        // A new session recalls the previous one's lines with the up arrow.
        let second = try repl(relay, home: home)
        defer { second.stop() }
        at = try await second.waitFor("connected to the relay")
        second.type("\u{1B}[A\u{1B}[A")
        at = try await second.waitFor("\\e \(home)/alice.md", after: at)
        second.type("\u{03}")
        at = try await second.waitFor("^C", after: at)
        second.type("\\q\r")
        try await waitFor("the second REPL to exit") { !second.isRunning }
        try await relay.stop()
    }

    /// Also a message whose transaction began before the newest message when the console started and committed while
    /// the relay was down: the console resumes from where its socket joined (a cursor), not from the newest id it knew.
    @Test func reconnectsAfterTheRelayRestartsAndCatchesUp() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        // In another conversation: the held transaction keeps its conversation's row locked.
        let bobs = try ConversationRepository.insert(db, userId: f.bob.id)
        let held = try CommitOrderTests.HeldInsert(database, conversation: bobs.id, sender: f.bob.id, content: "Held back")
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "First")
        var relay = try await TestRelay(database: database)
        let port = relay.port
        let terminal = try repl(relay, home: try temporaryHome())
        defer { terminal.stop() }
        var at = try await terminal.waitFor("connected to the relay")
        terminal.type("\\o alice\r")
        at = try await terminal.waitFor("msg[alice]> ", after: at)
        try await relay.stop()
        at = try await terminal.waitFor("relay unreachable", after: at)
        at = try await terminal.waitFor("msg[alice] (offline)> ", after: at)
        try held.commit()
        // While the relay is down the database still answers, and a message arrives that nobody delivers live.
        terminal.type("\\h 5\r")
        at = try await terminal.waitFor("conversation with Alice (alice), 1 messages", after: at)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Sent while you were away")
        relay = try await TestRelay(database: database, port: port)
        let away = try await terminal.waitFor("alice: Sent while you were away", after: at, timeout: 30)
        let heldBack = try await terminal.waitFor("bob [not open]: Held back", after: at, timeout: 30)
        at = try await terminal.waitFor("msg[alice]> ", after: max(away, heldBack))
        terminal.type("Back now\r")
        try await waitFor("the reply to be stored") {
            try db.scalar("SELECT count(*) FROM messages WHERE content = 'Back now'", as: Int.self) == 1
        }
        terminal.type("\\q\r")
        try await waitFor("the REPL to exit") { !terminal.isRunning }
        try await relay.stop()
    }

    /// Started while the relay is down, the console shows what came meanwhile once the relay answers, and says so.
    @Test func aConsoleStartedWithTheRelayDownCatchesUpWhenItAnswers() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        var relay = try await TestRelay(database: database)
        let port = relay.port
        try await relay.stop()
        let terminal = try repl(relay, home: try temporaryHome())
        defer { terminal.stop() }
        var at = try await terminal.waitFor("relay unreachable")
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Sent before the relay came")
        relay = try await TestRelay(database: database, port: port)
        at = try await terminal.waitFor("alice [not open]: Sent before the relay came", after: at, timeout: 40)
        _ = try await terminal.waitFor("caught up: 1 message while offline", after: at)
        terminal.type("\\q\r")
        try await waitFor("the REPL to exit") { !terminal.isRunning }
        try await relay.stop()
    }

    /// A reply whose answer the database connection lost after it was written is said to be maybe not sent; typed
    /// again, it is sent with the same key and written once (the relay's answer is the first message).
    @Test func aReplyWhoseAnswerWasLostIsWrittenOnceWhenTypedAgain() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        _ = try ConversationRepository.insert(db, userId: f.alice.id)
        // The reply's statement waits at the server for a lock the test holds, so its link can be cut meanwhile.
        try db.execute(
            """
            CREATE FUNCTION held_reply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.content = 'Held reply' THEN PERFORM pg_advisory_lock(4242); PERFORM pg_advisory_unlock(4242); END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER held_reply BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION held_reply();
            """)
        _ = try db.query("SELECT pg_advisory_lock(4242)")
        let relay = try await TestRelay(database: database)
        let proxy = try BlackholeProxy(conninfo: database.conninfo)
        defer { proxy.stop() }
        let terminal = try TerminalSession(
            "stty -g; \(msgctl); echo; stty -g",
            environment: [
                "DATABASE_URL": proxy.conninfo(through: database.conninfo), "JWT_SECRET": TestRelay.secret,
                "MSGRELAY_URL": "http://127.0.0.1:\(relay.port)", "XDG_DATA_HOME": try temporaryHome(), "HOME": try temporaryHome(),
                "NO_COLOR": "1",
            ])
        defer { terminal.stop() }
        var at = try await terminal.waitFor("connected to the relay")
        terminal.type("\\o alice\r")
        at = try await terminal.waitFor("msg[alice]> ", after: at)
        terminal.type("Held reply\r")
        try await waitFor("the reply's statement to wait") {
            try db.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' AND datname = current_database()", as: Int.self) == 1
        }
        proxy.blackhole()
        _ = try db.query("SELECT pg_advisory_unlock(4242)")
        try await waitFor("the reply to be written") {
            try db.scalar("SELECT count(*) FROM messages WHERE content = 'Held reply'", as: Int.self) == 1
        }
        proxy.cut()
        proxy.restore()
        at = try await terminal.waitFor("may not have been sent", after: at, timeout: 60)
        at = try await terminal.waitFor("msg[alice]> ", after: at)
        terminal.type("Held reply\r")
        at = try await terminal.waitFor("you: Held reply", after: at)
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE content = 'Held reply'", as: Int.self) == 1)
        // Another text is another reply, with a key of its own.
        terminal.type("Next\r")
        _ = try await terminal.waitFor("you: Next", after: at)
        terminal.type("\\q\r")
        try await waitFor("the REPL to exit") { !terminal.isRunning }
        try await relay.stop()
    }

    /// Opening a conversation shows back to its oldest unread message (200 at most) and marks read what it shows, not
    /// the older messages nobody saw, which it names.
    @Test func openingAConversationReadsOnlyWhatItShows() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        for n in 1...205 { _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "question \(n)") }
        let relay = try await TestRelay(database: database)
        let terminal = try repl(relay, home: try temporaryHome())
        defer { terminal.stop() }
        var at = try await terminal.waitFor("connected to the relay")
        terminal.type("\\o alice\r")
        at = try await terminal.waitFor("alice: question 205", after: at)
        at = try await terminal.waitFor("unread messages older than these 200 are not shown", after: at)
        try await waitFor("the shown messages to be read") {
            try db.scalar("SELECT count(*) FROM messages WHERE read_at IS NOT NULL", as: Int.self) == 200
        }
        let unread = try db.query("SELECT content FROM messages WHERE read_at IS NULL ORDER BY id").map { try $0.decode(0, as: String.self) }
        #expect(unread == (1...5).map { "question \($0)" })
        // Fewer than 200 unread, some of them older than the newest 20: all shown, all read.
        let bobs = try ConversationRepository.insert(db, userId: f.bob.id)
        for n in 1...30 { _ = try MessageRepository.insert(db, conversationId: bobs.id, senderId: f.bob.id, content: "bob \(n)") }
        terminal.type("\\o bob\r")
        at = try await terminal.waitFor("bob: bob 30", after: at)
        try await waitFor("all of Bob's to be read") {
            try db.scalar("SELECT count(*) FROM messages WHERE conversation_id = $1 AND read_at IS NULL", [bobs.id], as: Int.self) == 0
        }
        terminal.type("\\q\r")
        try await waitFor("the REPL to exit") { !terminal.isRunning }
        try await relay.stop()
    }

    @Test func hostileNamesAndMessagesCannotDriveTheTerminal() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        _ = try Fixtures.make(db)
        let clipboard = "\u{1B}]52;c;cm0gLXJmIH4=\u{07}"
        let eve = try UserRepository.insert(db, username: "eve\u{1B}[8m\u{202E}", displayName: "Eve\u{1B}]0;owned\u{07}", slug: "eve")
        let conversation = try ConversationRepository.insert(db, userId: eve.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: eve.id, content: "stored \(clipboard) paid\rUNPAID")
        let relay = try await TestRelay(database: database)
        let socket = try relay.socket(eve)
        _ = try await socket.next(type: "connected")
        let terminal = try repl(relay, home: try temporaryHome())
        defer { terminal.stop() }
        let shownName = "eve\\u{1B}[8m\\u{202E}"
        var at = try await terminal.waitFor("connected to the relay")
        terminal.type("\\l\r")
        at = try await terminal.waitFor("\(shownName)  1", after: at)
        terminal.type("\\o \(conversation.id.lowercasedString)\r")
        at = try await terminal.waitFor("conversation with Eve\\u{1B}]0;owned\\u{7} (\(shownName)), 1 messages", after: at)
        at = try await terminal.waitFor("\(shownName): stored \\u{1B}]52;c;cm0gLXJmIH4=\\u{7} paid\\u{D}UNPAID", after: at)
        at = try await terminal.waitFor("msg[\(shownName)]> ", after: at)
        // Live: a message and a typing indicator.
        try socket.send(.sendMessage(conversationId: nil, content: "live \(clipboard)\r\u{1B}[2K\u{1B}[1Aforged\n\u{2067}second line"))
        at = try await terminal.waitFor("\(shownName): live \\u{1B}]52;c;cm0gLXJmIH4=\\u{7}\\u{D}\\u{1B}[2K\\u{1B}[1Aforged", after: at)
        at = try await terminal.waitFor("    \\u{2067}second line", after: at)
        try socket.send(.typing(conversationId: conversation.id, isTyping: true))
        at = try await terminal.waitFor("\(shownName) is typing", after: at)
        terminal.type("\\s stored\r")
        at = try await terminal.waitFor("\(shownName): ", after: at)
        terminal.type("\\q\r")
        try await waitFor("the REPL to exit") { !terminal.isRunning }
        // None of it reached the terminal as it was sent.
        for sequence in ["\u{1B}]52", "\u{1B}]0;", "\u{1B}[8m", "\u{1B}[2K\u{1B}[1A", "\u{202E}", "\u{2067}", "\rUNPAID", "\u{07}"] {
            #expect(!terminal.raw.contains(sequence), "the terminal got \(sequence.debugDescription)")
        }
        try await relay.stop()
    }

    @Test func theHistoryFileIsPrivateAndKeepsRepliesOutUnlessAsked() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Hello")
        let relay = try await TestRelay(database: database)
        let home = try temporaryHome()
        let history = home + "/msgctl/history"
        func mode() throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: history)[.posixPermissions] as? Int ?? -1) & 0o777
        }
        // A history an older version left readable by everyone, with a reply in it.
        try FileManager.default.createDirectory(atPath: home + "/msgctl", withIntermediateDirectories: true)
        try "_HiStOrY_V2_\nold\\040secret\\040reply\n\\134l\n".write(toFile: history, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: history)

        let first = try repl(relay, home: home)
        defer { first.stop() }
        var at = try await first.waitFor("connected to the relay")
        #expect(try mode() == 0o600, "narrowed when the REPL starts")
        first.type("\\o alice\r")
        at = try await first.waitFor("msg[alice]> ", after: at)
        first.type("card 4111 reply\r")
        at = try await first.waitFor("you: card 4111 reply", after: at)
        first.type("\\q\r")
        try await waitFor("the first REPL to exit") { !first.isRunning }
        var saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(try mode() == 0o600)
        #expect(saved.contains("\\134o\\040alice") && saved.contains("\\134l"), "\(saved)")
        #expect(!saved.contains("4111") && !saved.contains("secret"), "\(saved)")

        // \set history all records replies too, and the file stays private.
        let second = try repl(relay, home: home)
        defer { second.stop() }
        at = try await second.waitFor("connected to the relay")
        second.type("\\set history all\r")
        at = try await second.waitFor("history all: replies are recorded too", after: at)
        second.type("\\o alice\r")
        at = try await second.waitFor("msg[alice]> ", after: at)
        second.type("kept 2222 reply\r")
        at = try await second.waitFor("you: kept 2222 reply", after: at)
        second.type("\\set history\r")
        at = try await second.waitFor("history all", after: at)
        second.type("\\set history everything\r")
        at = try await second.waitFor("usage: \\set [history commands|all]", after: at)
        second.type("\\q\r")
        try await waitFor("the second REPL to exit") { !second.isRunning }
        saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.contains("2222"), "\(saved)")
        #expect(try mode() == 0o600)

        // A link to /dev/null keeps no history, as the man page says: it stays a link.
        try FileManager.default.removeItem(atPath: history)
        try FileManager.default.createSymbolicLink(atPath: history, withDestinationPath: "/dev/null")
        let third = try repl(relay, home: home)
        defer { third.stop() }
        at = try await third.waitFor("connected to the relay")
        third.type("\\l\r")
        third.type("\\q\r")
        try await waitFor("the third REPL to exit") { !third.isRunning }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: history) == "/dev/null")
        try await relay.stop()
    }

    @Test func withoutATerminalTheREPLRefusesAndMsgctlAlonePrintsUsage() async throws {
        let repl = try await ProcessRunner.runDetached(msgctl, ["repl"])
        #expect(repl.status == 2)
        #expect(repl.stderr.contains("needs a terminal"))
        let bare = try await ProcessRunner.runDetached(msgctl, [])
        #expect(bare.stderr.contains("USAGE: msgctl") && bare.stdout.isEmpty && bare.status == 2)
    }
}
