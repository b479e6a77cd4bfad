import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// msgctl's output forms (tables, CSV, JSON, colour) and `msgctl stats`, as processes against a real database.
@Suite(.needsProcesses, .processSlot) struct CtlOutputTests {
    let msgctl = TestEnvironment.binary("msgctl")

    func run(_ arguments: [String], _ environment: [String: String?]) async throws -> ProcessResult {
        try await ProcessRunner.runDetached(msgctl, arguments, environment: environment)
    }

    @Test func statsCountsDaysWaitsAndBacklog() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let a = try ConversationRepository.insert(db, userId: f.alice.id)
        let b = try ConversationRepository.insert(db, userId: f.bob.id)
        let t0 = try #require(Timestamp(rfc3339: "2026-03-10T12:00:00Z"))
        func message(_ conversation: Conversation, _ sender: User, at offset: Double) throws {
            try db.query(
                "INSERT INTO messages (conversation_id, sender_id, content, created_at) VALUES ($1, $2, 'text', $3)",
                [conversation.id, sender.id, t0.adding(seconds: offset)])
        }
        try message(a, f.alice, at: 0)
        try message(a, f.admin, at: 60)  // a 60 s wait
        try message(a, f.alice, at: 120)
        try message(a, f.alice, at: 130)  // the same wait goes on
        try message(a, f.admin, at: 730)  // a 610 s wait
        try message(b, f.bob, at: 86_400 + 200)  // the next day, still waiting
        try message(b, f.bob, at: -30 * 86_400)  // before the window: bob is a returning user
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "TZ": "UTC"]
        let window = ["--since", "2026-03-10T00:00:00Z", "--until", "2026-03-12T00:00:00Z"]
        let json = try await run(["stats", "--json"] + window, env)
        #expect(json.status == 0, "\(json.stderr)")
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(stats.int("messages") == 6)
        #expect(["UTC", "GMT"].contains(stats.string("timezone") ?? ""))
        let days = stats.array("days")
        #expect(days.map { $0["date"] as? String } == ["2026-03-10", "2026-03-11"])
        #expect(days.map { $0["from_users"] as? Int } == [3, 1])
        #expect(days.map { $0["from_admins"] as? Int } == [2, 0])
        #expect(stats.int("active_conversations") == 2)
        #expect(stats.int("active_users") == 2)
        #expect(stats.int("returning_users") == 1)
        #expect(stats.int("unread_messages") == 5)
        #expect(stats.int("unread_conversations") == 2)
        #expect(stats.int("first_response.answered") == 2)
        #expect(stats.int("first_response.waiting") == 1)
        #expect((stats[path: "first_response.median_seconds"] as? Double) == 335)
        #expect((stats[path: "first_response.p90_seconds"] as? Double) == 555)

        let human = try await run(["stats"] + window, env)
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("median 5m 35s, p90 9m 15s (2 answered, 1 waiting)"))
        #expect(human.stdout.contains("█"))
        #expect(!human.stdout.contains("\u{1B}["))

        let bad = try await run(["stats", "--since", "last tuesday"], env)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--since must be an RFC 3339 time"))
        // TZ as glibc takes it (a leading ':') names the zone; a misspelt one is refused, not read as UTC.
        var paris = env
        paris["TZ"] = ":Europe/Paris"
        let glibc = try await run(["stats", "--json"] + window, paris)
        #expect((try JSONSerialization.jsonObject(with: Data(glibc.stdout.utf8)) as? [String: Any])?.string("timezone") == "Europe/Paris")
        // Times are shown in the zone days are counted in, however TZ names it.
        var tokyo = env
        tokyo["TZ"] = ":Asia/Tokyo"
        let glibcTokyo = try await run(["stats"] + window, tokyo)
        tokyo["TZ"] = "Asia/Tokyo"
        let plainTokyo = try await run(["stats"] + window, tokyo)
        #expect(glibcTokyo.stdout.contains(", oldest ") && glibcTokyo.stdout == plainTokyo.stdout, "\(glibcTokyo.stdout)\n\(plainTokyo.stdout)")
        paris["TZ"] = ":/etc/localtime"
        #expect(try await run(["stats", "--json"] + window, paris).status == 0)
        paris["TZ"] = "Europe/Pariss"
        let misspelt = try await run(["stats", "--json"] + window, paris)
        #expect(misspelt.status == 78 && misspelt.stderr.contains("TZ=Europe/Pariss is not a time zone"), "\(misspelt.stderr)")
        let backwards = try await run(["stats", "--since", "1d", "--until", "2d"], env)
        // Options that do not go together: a command-line error.
        #expect(backwards.status == 2)
        #expect(backwards.stderr.contains("--since must be before --until"))
    }

    @Test func tablesPrintAsCSVAndColourOnlyOnATerminal() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "Hello, \"admin\"\nsecond line")
        let env: [String: String?] = ["DATABASE_URL": database.conninfo, "NO_COLOR": nil]

        let csv = try await run(["list", "--csv"], env)
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.components(separatedBy: "\r\n")
        #expect(lines[0] == "ID,USER,UNREAD,LAST MESSAGE,PREVIEW")
        #expect(lines[1].hasPrefix("\(conversation.id.lowercasedString),alice,1,"))
        #expect(lines[1].contains("Z,\"Hello, \"\"admin\"\""))
        let users = try await run(["user", "list", "--csv"], env)
        #expect(users.stdout.hasPrefix("ID,USERNAME,DISPLAY NAME,ADMIN,CREATED\r\n"))
        #expect(users.stdout.contains(",admin,Admin,true,"))
        #expect(try await run(["list", "--csv", "--json"], env).status == 2)

        // Piped: no escape sequences.
        let plain = try await run(["list"], env)
        #expect(plain.stdout.hasPrefix("ID"))
        #expect(!plain.stdout.contains("\u{1B}["))
        // On a terminal (script(1) gives it one): a bold header, unless NO_COLOR is set.
        let command = "\(msgctl) list"
        let colour = try await ProcessRunner.runDetached(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: env.merging(["TERM": "xterm"]) { $1 })
        #expect(colour.status == 0, "\(colour.stdout)")
        #expect(colour.stdout.contains("\u{1B}[1mID\u{1B}[0m"))
        let noColour = try await ProcessRunner.runDetached(
            "/usr/bin/script", ["-qec", command, "/dev/null"], environment: env.merging(["TERM": "xterm", "NO_COLOR": "1"]) { $1 })
        #expect(noColour.stdout.contains("ID"))
        #expect(!noColour.stdout.contains("\u{1B}["))
    }
}
