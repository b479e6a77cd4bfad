import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Users' text that attacks the admin: terminal escape sequences, an OSC 52 clipboard write, carriage returns
/// that overwrite a line and bidi overrides in messages, usernames and display names; formulas for the
/// spreadsheet a CSV is opened in. msgctl runs as a process against a real database.
@Suite(.needsProcesses, .processSlot) struct CtlHostileDataTests {
    let msgctl = TestEnvironment.binary("msgctl")

    /// A clipboard write (OSC 52), a screen clear and colour (CSI), a line overwritten with `\r`, a bidi override.
    static let clipboard = "\u{1B}]52;c;cm0gLXJmIH4=\u{07}"
    static let content = "invoice \(clipboard) total 10\rTOTAL 0 \u{1B}[2J\u{1B}[31m red \u{202E}gnp.exe \u{2066}x\u{2069}"
    static let username = "eve\u{1B}[8m\u{202E}"
    static let displayName = "Eve\u{1B}]0;owned\u{07}\r"
    static let formula = "=HYPERLINK(\"http://evil.example\",\"click\")"

    func run(_ arguments: [String], _ database: TestDatabase) async throws -> ProcessResult {
        try await ProcessRunner.runDetached(msgctl, arguments, environment: ["DATABASE_URL": database.conninfo, "NO_COLOR": nil])
    }

    /// Nothing in `text` can act on a terminal.
    func expectInert(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let unsafe = text.unicodeScalars.filter { TerminalText.isUnsafe($0, multiline: true) }
        #expect(
            unsafe.isEmpty, "\(what) prints \(unsafe.map { String($0.value, radix: 16) }): \(text.debugDescription)", sourceLocation: sourceLocation)
    }

    struct Setup {
        var database: TestDatabase
        var eve: User
        var conversation: Conversation
    }

    func setUp() async throws -> Setup {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let eve = try UserRepository.insert(db, username: Self.username, displayName: Self.displayName, slug: "eve")
        let conversation = try ConversationRepository.insert(db, userId: eve.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: eve.id, content: Self.content)
        let bob = try ConversationRepository.insert(db, userId: f.bob.id)
        _ = try MessageRepository.insert(db, conversationId: bob.id, senderId: f.bob.id, content: Self.formula)
        return Setup(database: database, eve: eve, conversation: conversation)
    }

    @Test func humanOutputShowsControlAndBidiCharactersAsEscapes() async throws {
        let setup = try await setUp()
        let eveId = setup.conversation.id.lowercasedString

        let show = try await run(["show", eveId], setup.database)
        #expect(show.status == 0, "\(show.stderr)")
        expectInert(show.stdout, "show")
        #expect(show.stdout.contains("conversation with Eve\\u{1B}]0;owned\\u{7}\\u{D} (eve\\u{1B}[8m\\u{202E}), 1 messages"))
        #expect(show.stdout.contains("eve\\u{1B}[8m\\u{202E}:\n    invoice \\u{1B}]52;c;cm0gLXJmIH4=\\u{7} total 10\\u{D}TOTAL 0 \\u{1B}[2J"))
        #expect(show.stdout.contains("\\u{202E}gnp.exe \\u{2066}x\\u{2069}"))

        let list = try await run(["list"], setup.database)
        #expect(list.status == 0, "\(list.stderr)")
        expectInert(list.stdout, "list")
        #expect(list.stdout.contains("eve\\u{1B}[8m\\u{202E}"))
        #expect(list.stdout.contains("invoice \\u{1B}]52;c;"))

        let search = try await run(["search", "invoice"], setup.database)
        #expect(search.status == 0, "\(search.stderr)")
        expectInert(search.stdout, "search")
        #expect(search.stdout.contains("eve\\u{1B}[8m\\u{202E}"))
        #expect(search.stdout.contains("\\u{1B}"))

        let users = try await run(["user", "list"], setup.database)
        #expect(users.status == 0, "\(users.stderr)")
        expectInert(users.stdout, "user list")
        #expect(users.stdout.contains("eve\\u{1B}[8m\\u{202E}  Eve\\u{1B}]0;owned\\u{7}\\u{D}"))

        let pushEnvironment = PushEnvironment.variables.merging(["DATABASE_URL": setup.database.conninfo, "NO_COLOR": nil]) { $1 }
        let none = try await ProcessRunner.runDetached(msgctl, ["push", "test", "--user", Self.username], environment: pushEnvironment)
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stdout == "eve\\u{1B}[8m\\u{202E} has no push subscriptions\n")
        // A push service whose refusal tries the same.
        let pushService = try RecordingHTTPServer()
        defer { pushService.stop() }
        pushService.respond { _ in .init(status: 400, text: "bad \(Self.clipboard)\r\u{1B}[1A ok") }
        let browser = PushBrowser(endpoint: pushService.url("/push"))
        let keys = try #require(browser.subscribeBody["subscription"] as? [String: Any])["keys"] as? [String: String]
        _ = try PushSubscriptionRepository.upsert(
            try setup.database.connect(), userId: setup.eve.id, endpoint: browser.endpoint, p256dh: keys?["p256dh"] ?? "", auth: keys?["auth"] ?? "")
        let push = try await ProcessRunner.runDetached(msgctl, ["push", "test", "--user", Self.username], environment: pushEnvironment)
        #expect(push.status == 75, "\(push.stderr)")
        expectInert(push.stdout, "push test")
        // The outbox keeps a service's answer on one line, its control characters blanked, before msgctl escapes the rest.
        #expect(push.stdout.contains("failed: push service answered 400: bad "), "\(push.stdout)")

        // --json keeps the exact data (JSON's own escaping makes it safe).
        let json = try await run(["show", eveId, "--json"], setup.database)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(!json.stdout.contains("\u{1B}") && !json.stdout.contains("\r"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.first?["content"] as? String == Self.content)
        #expect((messages.first?["sender"] as? [String: Any])?["username"] as? String == Self.username)
    }

    /// Machine formats keep the exact data for programs, but printed on a terminal they are read by a person: there,
    /// what users wrote is shown escaped as everywhere else.
    @Test func machineFormatsOnATerminalShowEscapes() async throws {
        let setup = try await setUp()
        let commands: [[String]] = [
            ["export", "--format", "markdown"], ["export", "--format", "csv"], ["export", "--format", "jsonl"], ["export", "--format", "mbox"],
            ["list", "--csv"], ["search", "invoice", "--csv"], ["show", setup.conversation.id.lowercasedString, "--json"],
            ["user", "list", "--json"],
        ]
        for arguments in commands {
            let terminal = try TerminalSession(
                "\(msgctl) \(arguments.joined(separator: " ")); echo \"exit $?\"",
                environment: ["DATABASE_URL": setup.database.conninfo, "NO_COLOR": "1"])
            defer { terminal.stop() }
            // Its output read to the end, the shell's last line included (the process may end before it is read).
            try await waitFor("\(arguments.prefix(2)) to end") { !terminal.isRunning && terminal.raw.contains("exit ") }
            // The terminal's own line discipline writes CR LF for each line feed.
            let shown = terminal.raw.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(shown.contains("exit 0"), "\(arguments): \(shown)")
            expectInert(shown, arguments.prefix(3).joined(separator: " "))
            #expect(shown.contains("\\u{1B}]52;c;cm0gLXJmIH4=") || shown.contains("\\u{202E}"), "\(arguments): \(shown)")
        }
        // Through a pipe the data stays exact.
        let piped = try await run(["export", "--format", "csv"], setup.database)
        #expect(piped.stdout.contains(Self.clipboard))
    }

    @Test func errorLinesQuotingNamesShowThemAsEscapes() async throws {
        let setup = try await setUp()
        let db = try setup.database.connect()
        let mallory = "mallory\(Self.clipboard)"
        _ = try UserRepository.insert(db, username: mallory, displayName: "Mallory", slug: "mallory")

        // A name from the database in an error message.
        let noConversation = try await run(["show", mallory], setup.database)
        #expect(noConversation.status == 67)
        #expect(noConversation.stderr == "msgctl: mallory\\u{1B}]52;c;cm0gLXJmIH4=\\u{7} has no conversation yet\n")
        // A name as typed.
        let unknown = try await run(["show", "nobody\r\u{1B}[2Kfine"], setup.database)
        #expect(unknown.status == 67)
        #expect(unknown.stderr == "msgctl: no conversation or user \"nobody\\u{D}\\u{1B}[2Kfine\"\n")
        // Two admins: the error names both (stats cannot pick one).
        _ = try UserRepository.insert(db, username: "root\u{202E}nimda", displayName: "Root", slug: "root", isAdmin: true)
        let stats = try await run(["stats"], setup.database)
        #expect(stats.status == 65)
        expectInert(stats.stderr, "stats' error")
        #expect(stats.stderr.contains("root\\u{202E}nimda"))
        // A command-line error echoing a value, with the usage.
        let usage = try await run(["export", "--since", "\u{1B}]52;c;eA==\u{7}"], setup.database)
        #expect(usage.status == 2)
        expectInert(usage.stderr, "a usage error")
        #expect(usage.stderr.contains("--since \"\\u{1B}]52;c;eA==\\u{7}\" is not a time"), "\(usage.stderr)")
        #expect(usage.stderr.lowercased().contains("usage:"))
    }

    @Test func csvGuardsFormulasUnlessToldNotTo() async throws {
        let setup = try await setUp()
        let db = try setup.database.connect()
        _ = try UserRepository.insert(db, username: "@mallory", displayName: "+1-555", slug: "mallory")

        let list = try await run(["list", "--csv"], setup.database)
        #expect(list.status == 0, "\(list.stderr)")
        let rows = try ExportParsing.csv(list.stdout)
        let previews = rows.dropFirst().map { $0[4] }
        #expect(previews.contains("'" + Self.formula))
        // Other text stays exactly as stored: CSV is a machine format.
        #expect(previews.contains(Self.content))
        let raw = try ExportParsing.csv(try await run(["list", "--csv", "--no-formula-escape"], setup.database).stdout)
        #expect(raw.dropFirst().map { $0[4] }.contains(Self.formula))

        let users = try ExportParsing.csv(try await run(["user", "list", "--csv"], setup.database).stdout)
        #expect(users.contains { $0[1] == "'@mallory" && $0[2] == "'+1-555" })
        let rawUsers = try ExportParsing.csv(try await run(["user", "list", "--csv", "--no-formula-escape"], setup.database).stdout)
        #expect(rawUsers.contains { $0[1] == "@mallory" && $0[2] == "+1-555" })

        let export = try await run(["export", "--format", "csv"], setup.database)
        #expect(export.status == 0, "\(export.stderr)")
        let records = try ExportParsing.csv(export.stdout).dropFirst()
        #expect(records.map { $0[6] }.sorted() == [Self.content, "'" + Self.formula].sorted())
        let rawExport = try ExportParsing.csv(try await run(["export", "--format", "csv", "--no-formula-escape"], setup.database).stdout)
        #expect(rawExport.dropFirst().map { $0[6] }.sorted() == [Self.content, Self.formula].sorted())

        for arguments in [["list", "--no-formula-escape"], ["list", "--json", "--no-formula-escape"], ["export", "--no-formula-escape"]] {
            let refused = try await run(arguments, setup.database)
            #expect(refused.status == 2, "\(arguments)")
            #expect(refused.stderr.contains("--no-formula-escape only applies with"), "\(arguments): \(refused.stderr)")
        }
    }
}
