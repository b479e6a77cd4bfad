import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// `msgctl tail` against a real relay: messages sent through REST appear, as lines or JSON; a relay restart loses and
/// repeats nothing; a closed pipe ends it quietly; --user keeps one conversation.
@Suite(.needsProcesses, .processSlot) struct TailTests {
    let msgctl = TestEnvironment.binary("msgctl")

    func environment(_ relay: TestRelay) -> [String: String?] {
        ["DATABASE_URL": relay.database.conninfo, "JWT_SECRET": TestRelay.secret, "MSGRELAY_URL": "http://127.0.0.1:\(relay.port)", "TZ": "UTC"]
    }

    func tail(_ relay: TestRelay, _ arguments: [String] = []) throws -> ChildProcess {
        try ChildProcess(msgctl, ["tail"] + arguments, environment: environment(relay))
    }

    /// Sends `content` through REST as `user` (into `conversation`, for an admin); returns the message's id.
    @discardableResult
    static func send(_ relay: TestRelay, _ user: User, _ content: String, conversation: String? = nil) async throws -> String {
        var body: [String: Any] = ["content": content]
        if let conversation { body["conversation_id"] = conversation }
        let answer = try await relay.request("POST", "/api/messages", token: relay.token(user), json: body)
        guard answer.status == 201, let id = answer.object.string("id") else { throw TestFailure("send failed: \(answer.status) \(answer.text)") }
        return id
    }

    /// Sends "warm-up N" as `user` until one shows in `output` (tail follows what arrives after it connects; when
    /// that is cannot be seen from outside): at most one message every 3 s, so nothing is sent after the one seen.
    static func warmUp(_ relay: TestRelay, _ user: User, until output: @escaping () -> String) async throws {
        for attempt in 1...30 {
            try await send(relay, user, "warm-up \(attempt)")
            do {
                try await waitFor("a warm-up line", timeout: 3) { output().contains("warm-up") }
                return
            } catch {}
        }
        throw TestFailure("tail never showed a message; it printed: \(output())")
    }

    static func lines(_ text: String, containing needle: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains(needle) }
    }

    @Test func restMessagesAppearAsLinesAndAsJSON() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "unread from before")
        let relay = try await TestRelay(database: database)
        let text = try tail(relay)
        let json = try tail(relay, ["--json"])
        defer { [text, json].forEach { $0.signal(SIGKILL) } }
        try await Self.warmUp(relay, f.alice) { text.stdout.contains("warm-up") && json.stdout.contains("warm-up") ? "warm-up" : "" }

        let first = try await Self.send(relay, f.alice, "Is my order shipped?")
        try await Self.send(relay, f.alice, "line one\nline two \u{1B}[31mred\u{202E}")
        let reply = try await Self.send(relay, f.admin, "Yes, it left today.", conversation: conversation.id.lowercasedString)
        try await waitFor("the three messages in both") {
            text.stdout.contains("Yes, it left today.") && json.stdout.contains("Yes, it left today.")
        }
        // Lines: time, [conversation's user], sender, text on one line, nothing a terminal would act on.
        #expect(
            Self.lines(text.stdout, containing: "Is my order shipped?").first?.contains(
                /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[alice\] alice: Is my order shipped\?$/) == true)
        #expect(text.stdout.contains("[alice] alice: line one\\u{A}line two \\u{1B}[31mred\\u{202E}\n"))
        #expect(text.stdout.contains("[alice] admin: Yes, it left today.\n"))
        #expect(!text.stdout.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
        #expect(!text.stdout.contains("unread from before"))
        #expect(text.stderr.isEmpty, "\(text.stderr)")

        // JSON: one object per line, the REST API's fields and the conversation's user, exact text.
        let objects = try json.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not an object: \(line)")
        }
        let ours = objects.filter { !(($0["content"] as? String) ?? "").hasPrefix("warm-up") }
        #expect(ours.map { $0["content"] as? String } == ["Is my order shipped?", "line one\nline two \u{1B}[31mred\u{202E}", "Yes, it left today."])
        #expect(ours.map { $0["id"] as? String } == [first, ours[1]["id"] as? String, reply])
        #expect(ours.allSatisfy { ($0["conversation_user"] as? [String: Any])?["username"] as? String == "alice" })
        #expect((ours[2]["sender"] as? [String: Any])?["is_admin"] as? Bool == true)
        #expect(ours.allSatisfy { $0["conversation_id"] as? String == conversation.id.lowercasedString && $0["cursor"] == nil })
        try await relay.stop()
    }

    /// An idle tail keeps its socket: it pings every 30 s, and the relay, which closes sockets quiet for longer than
    /// its idle timeout (here 40 s), hears the ping and keeps it.
    @Test func anIdleTailPingsAndKeepsItsSocket() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_IDLE_TIMEOUT_SECONDS": "40"])
        let tail = try tail(relay)
        try await Self.warmUp(relay, f.alice) { tail.stdout }
        let ping = #"msgrelay_websocket_frames_received_total{type="ping"}"#
        try await waitFor("the tail's ping", timeout: 45) { try await relay.metrics().value(ping) ?? 0 >= 1 }
        #expect(!tail.stderr.contains("disconnected"), "\(tail.stderr)")
        try await relay.stop()
    }

    @Test func aRelayRestartLosesNothingAndRepeatsNothing() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        var relay = try await TestRelay(database: database)
        let port = relay.port
        let tail = try tail(relay)
        defer { tail.signal(SIGKILL) }
        try await Self.warmUp(relay, f.alice) { tail.stdout }
        try await Self.send(relay, f.alice, "before the restart")
        try await waitFor("the first message") { tail.stdout.contains("before the restart") }

        try await relay.stop()
        try await waitFor("tail to notice") { tail.stderr.contains("relay unreachable") }
        // Sent while no relay runs: msgctl and the database write on.
        let conversation = try #require(try ConversationRepository.find(db, userId: f.alice.id))
        for text in ["while down 1", "while down 2"] {
            _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: text)
        }
        let reply = try await ProcessRunner.runDetached(msgctl, ["reply", "alice", "while down, from msgctl"], environment: environment(relay))
        #expect(reply.status == 0, "\(reply.stderr)")

        relay = try await TestRelay(database: database, port: port)
        try await waitFor("the messages sent meanwhile", timeout: 40) { tail.stdout.contains("while down, from msgctl") }
        try await Self.send(relay, f.alice, "after the restart")
        try await waitFor("the message after") { tail.stdout.contains("after the restart") }
        for text in ["before the restart", "while down 1", "while down 2", "while down, from msgctl", "after the restart"] {
            #expect(Self.lines(tail.stdout, containing: text).count == 1, "\(text): \(tail.stdout)")
        }
        let order = ["while down 1", "while down 2", "after the restart"].map { text in tail.stdout.range(of: text)!.lowerBound }
        #expect(order == order.sorted())
        #expect(tail.stderr.contains("reconnected to the relay"))
        #expect(tail.isRunning)
        try await relay.stop()
    }

    /// A conversation's user is the one it belongs to, not whoever wrote its first message tail sees as no admin: an
    /// admin's reply, replayed after the admin was demoted, names the conversation's user, and so do the lines after it.
    @Test func aDemotedAdminsReplyKeepsItsConversationsUser() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let carol = try UserRepository.insert(db, username: "carol", displayName: "Carol", isAdmin: true)
        let bobs = try ConversationRepository.insert(db, userId: f.bob.id)
        var relay = try await TestRelay(database: database)
        let port = relay.port
        let tail = try tail(relay, ["--json", "--as", f.admin.username])
        defer { tail.signal(SIGKILL) }
        try await Self.warmUp(relay, f.alice) { tail.stdout }
        try await relay.stop()
        try await waitFor("tail to notice") { tail.stderr.contains("relay unreachable") }
        // Carol replies to bob while no relay runs, then is no longer an admin: the replay shows her as a user.
        _ = try MessageRepository.insert(db, conversationId: bobs.id, senderId: carol.id, content: "from carol")
        try db.execute("UPDATE users SET is_admin = false WHERE id = '\(carol.id.lowercasedString)'")
        relay = try await TestRelay(database: database, port: port)
        try await waitFor("carol's reply", timeout: 40) { tail.stdout.contains("from carol") }
        try await Self.send(relay, f.bob, "from bob")
        try await waitFor("bob's message") { tail.stdout.contains("from bob") }
        let owners = try tail.stdout.split(separator: "\n").compactMap { line -> String? in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard (object["content"] as? String)?.hasPrefix("from ") == true else { return nil }
            return "\(object["content"] ?? "") in \((object["conversation_user"] as? [String: Any])?["username"] ?? "")'s"
        }
        #expect(owners == ["from carol in bob's", "from bob in bob's"])
        try await relay.stop()
    }

    /// Started while the relay is down, tail shows what is committed from then on once the relay answers, and not the
    /// unread messages from before.
    @Test func aTailStartedWithTheRelayDownShowsWhatCameMeanwhile() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        var relay = try await TestRelay(database: database)
        let port = relay.port
        try await relay.stop()
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "unread from before")
        let tail = try tail(relay)
        defer { tail.signal(SIGKILL) }
        try await waitFor("tail to find the relay down") { tail.stderr.contains("relay unreachable") }
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "while the relay was down")
        relay = try await TestRelay(database: database, port: port)
        try await waitFor("the message sent meanwhile", timeout: 40) { tail.stdout.contains("while the relay was down") }
        try await Self.send(relay, f.alice, "live")
        try await waitFor("the live message") { tail.stdout.contains("live") }
        #expect(!tail.stdout.contains("unread from before"), "\(tail.stdout)")
        #expect(Self.lines(tail.stdout, containing: "while the relay was down").count == 1)
        try await relay.stop()
    }

    /// More was sent while the relay was down than one replay carries (its byte budget): tail asks for the rest, page
    /// after page, and shows every message once, live ones meanwhile too.
    @Test func aReplayCutShortIsFollowedToItsEnd() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        // A replay of 32 KiB: about 15 of the messages below.
        let small: [String: String?] = ["WS_MAX_QUEUED_BYTES": "65536"]
        var relay = try await TestRelay(database: database, environment: small)
        let port = relay.port
        let tail = try tail(relay)
        defer { tail.signal(SIGKILL) }
        try await Self.warmUp(relay, f.alice) { tail.stdout }
        try await relay.stop()
        try await waitFor("tail to notice") { tail.stderr.contains("relay unreachable") }
        let conversation = try #require(try ConversationRepository.find(db, userId: f.alice.id))
        let long = String(repeating: "x", count: 2000)
        for n in 1...60 {
            _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "away \(n) \(long)")
        }
        relay = try await TestRelay(database: database, environment: small, port: port)
        try await Self.send(relay, f.alice, "back again")
        try await waitFor("every message", timeout: 40) {
            Self.lines(tail.stdout, containing: "away 60 ").count == 1 && tail.stdout.contains("back again")
        }
        for n in 1...60 {
            #expect(Self.lines(tail.stdout, containing: "away \(n) ").count == 1, "away \(n)")
        }
        #expect(Self.lines(tail.stdout, containing: "back again").count == 1)
        try await relay.stop()
    }

    /// The admin demoted while tail follows: the relay closes the socket (4401) and would take the next one, whose token
    /// is still valid, as an ordinary user's. tail checks the admin's rights at each connection and stops with 77.
    @Test func anAdminDemotedWhileTailFollowsStopsIt() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        let tail = try tail(relay)
        defer { tail.signal(SIGKILL) }
        try await Self.warmUp(relay, f.alice) { tail.stdout }
        try db.execute("UPDATE users SET is_admin = false WHERE id = '\(f.admin.id.lowercasedString)'")
        try await waitFor("tail to stop", timeout: 30) { !tail.isRunning }
        #expect(tail.exitStatus == ExitStatus.noPermission.rawValue, "\(tail.stderr)")
        #expect(tail.stderr.contains("no longer an admin"), "\(tail.stderr)")
        try await relay.stop()
    }

    @Test func aClosedPipeEndsTailQuietly() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        // Messages are sent one at a time, each after the last one showed: none follows the second, so tail must
        // notice head leaving by itself. (head flushes each line, through stdbuf, for the test to see them come.)
        let pipeline = try ChildProcess(
            "/bin/bash", ["-c", "\"$0\" tail | stdbuf -oL head -n 2; echo \"statuses ${PIPESTATUS[*]}\"", msgctl], environment: environment(relay))
        defer { pipeline.signal(SIGKILL) }
        try await Self.warmUp(relay, f.alice) { pipeline.stdout }
        try await Self.send(relay, f.alice, "second line")
        try await waitFor("the pipeline to end") { !pipeline.isRunning }
        #expect(pipeline.exitStatus == 0)
        let lines = pipeline.stdout.split(separator: "\n")
        #expect(lines.count == 3, "\(pipeline.stdout)")
        #expect(lines.first?.contains("warm-up") == true)
        #expect(lines.dropFirst().first?.hasSuffix("[alice] alice: second line") == true, "\(pipeline.stdout)")
        #expect(lines.last == "statuses 0 0")
        #expect(pipeline.stderr.isEmpty, "\(pipeline.stderr)")
        try await relay.stop()
    }

    @Test func userKeepsOneConversationBothWays() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database)
        // (A scheme in capitals is the same scheme.)
        let tail = try ChildProcess(
            msgctl, ["tail", "--user", "alice", "--json"],
            environment: environment(relay).merging(["MSGRELAY_URL": "HTTP://127.0.0.1:\(relay.port)"]) { $1 })
        defer { tail.signal(SIGKILL) }
        try await Self.warmUp(relay, f.alice) { tail.stdout }
        let aliceConversation = try #require(try ConversationRepository.find(db, userId: f.alice.id)).id.lowercasedString
        try await Self.send(relay, f.bob, "from bob")
        let bobConversation = try #require(try ConversationRepository.find(db, userId: f.bob.id)).id.lowercasedString
        try await Self.send(relay, f.admin, "to bob", conversation: bobConversation)
        try await Self.send(relay, f.alice, "from alice")
        try await Self.send(relay, f.admin, "to alice", conversation: aliceConversation)
        try await waitFor("the admin's reply to alice") { tail.stdout.contains("to alice") }
        let contents = try tail.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["content"] as? String
        }
        #expect(contents.filter { !($0 ?? "").hasPrefix("warm-up") } == ["from alice", "to alice"])

        // An unknown user, and no way to sign in: one line and the documented status.
        let unknown = try await ProcessRunner.runDetached(msgctl, ["tail", "--user", "nobody"], environment: environment(relay))
        #expect(unknown.status == 67 && unknown.stderr == "msgctl: no user \"nobody\"\n")
        var noSecret = environment(relay)
        noSecret["JWT_SECRET"] = nil
        let unsigned = try await ProcessRunner.runDetached(msgctl, ["tail"], environment: noSecret)
        #expect(unsigned.status == 78 && unsigned.stderr.hasPrefix("msgctl: JWT_SECRET is not set"))
        // A token signed with another secret: refused by the relay, and tail stops instead of retrying forever.
        var wrong = environment(relay)
        wrong["JWT_SECRET"] = "not-the-relay-secret"
        let refused = try await ProcessRunner.runDetached(msgctl, ["tail"], environment: wrong, timeout: 30)
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(refused.stderr.contains("the relay refuses the admin's token"))
        try await relay.stop()
    }
}
