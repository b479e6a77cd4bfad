import Foundation
import Synchronization
import TestSupport
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// `msgctl export` as a process against a real database: the four formats, filters, atomic output, and the
/// incremental state with writers holding transactions open across runs.
@Suite(.needsProcesses, .processSlot) struct ExportTests {
    static var msgctlPath: String { TestEnvironment.binary("msgctl") }

    static func export(_ arguments: [String], _ database: TestDatabase, timeout: TimeInterval = 120) async throws -> ProcessResult {
        try await ProcessRunner.runDetached(msgctlPath, ["export"] + arguments, environment: ["DATABASE_URL": database.conninfo], timeout: timeout)
    }

    /// A fresh folder for a test's files.
    static func folder() throws -> URL {
        try TestEnvironment.scratchFolder("export")
    }

    static func read(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    /// The objects of a JSON Lines text.
    static func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("not an object: \(line)")
            }
            return object
        }
    }

    static func ids(_ text: String) throws -> [String] {
        try jsonLines(text).map { $0["id"] as? String ?? "" }
    }

    /// Files in `folder` whose names mark them as temporary export files.
    static func temporaryFiles(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".tmp") }
    }

    @Test func everyFormatCarriesTheFieldsAndQuotesWhatItMust() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let zoe = try UserRepository.insert(db, username: "zoë", displayName: "Zoë \"Q\" Ünicode", slug: "zoe")
        let alice = try ConversationRepository.insert(db, userId: f.alice.id)
        let zoeConversation = try ConversationRepository.insert(db, userId: zoe.id)
        func send(_ conversation: Conversation, _ sender: User, _ content: String) throws -> Message {
            try MessageRepository.insert(db, conversationId: conversation.id, senderId: sender.id, content: content)
        }
        let a1 = try send(alice, f.alice, "Hello, \"admin\"\nFrom the start\n>From quoted\nFrom here")
        let a2 = try send(alice, f.admin, "Réponse ✓ <b>bold</b> & more\ttab")
        let a3 = try send(
            alice, f.alice,
            "# Not a heading\r\nsecond line\u{1}ctl\n  ===\nC:\\<dir>\n[here]: https://evil.example/login\n![](https://tracker.example/x)")
        let long = String(repeating: "x", count: 1200) + " From = the end "
        let a4 = try send(alice, f.alice, long)
        let a5 = try send(alice, f.alice, "secret")
        let z1 = try send(zoeConversation, zoe, "Grüße")
        try db.query("UPDATE messages SET deleted_at = now() WHERE id = $1", [a5.id])
        try db.query("UPDATE messages SET read_at = now(), edited_at = now() WHERE id = $1", [a2.id])
        let stored = try [a1, a2, a3, a4, z1].map { try MessageRepository.find(db, id: $0.id)! }
        let folder = try Self.folder()

        // JSON Lines: the REST API's fields, explicit nulls, RFC 3339 UTC.
        let jsonl = try await Self.export(["--output", folder.appendingPathComponent("all.jsonl").path], database)
        #expect(jsonl.status == 0, "\(jsonl.stderr)")
        #expect(jsonl.stdout.isEmpty)
        let objects = try Self.jsonLines(try Self.read(folder.appendingPathComponent("all.jsonl")))
        #expect(objects.map { $0["id"] as? String } == stored.map { $0.id.lowercasedString })
        for (object, message) in zip(objects, stored) {
            #expect(
                Set(object.keys) == [
                    "id", "conversation_id", "sender_id", "sender", "content", "created_at", "read_at", "edited_at", "deleted_at", "attachments",
                ])
            #expect((object["attachments"] as? [Any])?.isEmpty == true)
            #expect(object["conversation_id"] as? String == message.conversationId.lowercasedString)
            #expect(object["sender_id"] as? String == message.senderId.lowercasedString)
            #expect(object["content"] as? String == message.content)
            #expect(object["created_at"] as? String == message.createdAt.rfc3339)
            #expect(object["deleted_at"] is NSNull)
            let sender = object["sender"] as? [String: Any] ?? [:]
            #expect(Set(sender.keys) == ["id", "username", "display_name", "is_admin"])
            #expect(sender["id"] as? String == message.senderId.lowercasedString)
        }
        #expect(objects[1]["read_at"] as? String == stored[1].readAt?.rfc3339)
        #expect(objects[1]["edited_at"] as? String == stored[1].editedAt?.rfc3339)
        #expect(objects[0]["read_at"] is NSNull && objects[0]["edited_at"] is NSNull)
        #expect((objects[1]["sender"] as? [String: Any])?["is_admin"] as? Bool == true)
        #expect((objects[4]["sender"] as? [String: Any])?["display_name"] as? String == "Zoë \"Q\" Ünicode")

        // CSV: RFC 4180 with a header; the same values.
        let csv = try await Self.export(["--format", "csv", "--output", folder.appendingPathComponent("all.csv").path], database)
        #expect(csv.status == 0, "\(csv.stderr)")
        let records = try ExportParsing.csv(try Self.read(folder.appendingPathComponent("all.csv")))
        #expect(
            records.first == [
                "id", "conversation_id", "sender_id", "sender_username", "sender_display_name", "sender_is_admin", "content", "created_at", "read_at",
                "edited_at", "deleted_at", "attachments",
            ])
        #expect(records.count == 6)
        for (record, message) in zip(records.dropFirst(), stored) {
            #expect(record.count == 12)
            #expect(record[11] == "")
            #expect(record[0] == message.id.lowercasedString)
            #expect(record[6] == message.content)
            #expect(record[7] == message.createdAt.rfc3339)
            #expect(record[8] == (message.readAt?.rfc3339 ?? ""))
            #expect(record[10] == "")
        }
        #expect(records[2][3] == "admin" && records[2][5] == "true" && records[1][5] == "false")
        #expect(records[5][4] == "Zoë \"Q\" Ünicode")

        // mbox: From_ lines, RFC 5322 headers, >From quoting, quoted-printable for a long line, encoded-words.
        let mbox = try await Self.export(["--format", "mbox", "--output", folder.appendingPathComponent("all.mbox").path], database)
        #expect(mbox.status == 0, "\(mbox.stderr)")
        let mboxText = try Self.read(folder.appendingPathComponent("all.mbox"))
        #expect(mboxText.contains("\n>From the start\n>>From quoted\n>From here\n"))
        let mails = try ExportParsing.mbox(mboxText)
        #expect(mails.count == 5)
        #expect(mails.map { $0.header("Message-ID") } == stored.map { "<\($0.id.lowercasedString)@msgrelay.invalid>" })
        let fromLine = try NSRegularExpression(
            pattern: #"^From \S+@msgrelay\.invalid (Sun|Mon|Tue|Wed|Thu|Fri|Sat) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$"#)
        let date = try NSRegularExpression(pattern: #"^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000$"#)
        for (mail, message) in zip(mails, stored) {
            #expect(fromLine.firstMatch(in: mail.fromLine, range: NSRange(mail.fromLine.startIndex..., in: mail.fromLine)) != nil, "\(mail.fromLine)")
            let dateValue = mail.header("Date") ?? ""
            #expect(date.firstMatch(in: dateValue, range: NSRange(dateValue.startIndex..., in: dateValue)) != nil, "\(dateValue)")
            #expect(mail.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(mail.header("MIME-Version") == "1.0")
            #expect(mail.header("X-Msgrelay-Conversation-Id") == message.conversationId.lowercasedString)
            if mail.header("Content-Transfer-Encoding") == "quoted-printable" {
                #expect(ExportParsing.quotedPrintable(mail.body) == message.content)
                #expect(mail.body.allSatisfy { $0.utf8.count <= 76 })
            } else {
                #expect(mail.header("Content-Transfer-Encoding") == "8bit")
                #expect(mail.body.joined(separator: "\n") == message.content.replacingOccurrences(of: "\r\n", with: "\n"))
            }
        }
        #expect(mails[0].header("From") == "\"Alice\" <alice@msgrelay.invalid>")
        #expect(mails[0].header("To") == "\"Site admin\" <admin@msgrelay.invalid>")
        #expect(mails[0].header("Subject") == "Conversation with Alice (alice)")
        #expect(mails[0].header("In-Reply-To") == nil)
        #expect(mails[1].header("From") == "\"Admin\" <admin@msgrelay.invalid>")
        #expect(mails[1].header("To") == "\"Alice\" <alice@msgrelay.invalid>")
        #expect(mails[1].header("In-Reply-To") == "<\(a1.id.lowercasedString)@msgrelay.invalid>")
        #expect(mails[1].header("X-Msgrelay-Read-At") == stored[1].readAt?.rfc3339)
        #expect(mails[3].header("Content-Transfer-Encoding") == "quoted-printable")
        #expect(ExportParsing.decodeEncodedWords(mails[4].header("From") ?? "") == "Zoë \"Q\" Ünicode <\(zoe.id.lowercasedString)@msgrelay.invalid>")
        #expect(ExportParsing.decodeEncodedWords(mails[4].header("Subject") ?? "") == "Conversation with Zoë \"Q\" Ünicode (zoë)")
        #expect(mails[4].header("In-Reply-To") == nil)
        #expect(mboxText.unicodeScalars.allSatisfy { $0 != "\r" })

        // Markdown: a heading per conversation, every message line quoted, no HTML.
        let markdown = try await Self.export(["--format", "markdown"], database)
        #expect(markdown.status == 0, "\(markdown.stderr)")
        let lines = markdown.stdout.components(separatedBy: "\n")
        #expect(lines.filter { $0.hasPrefix("#") } == ["# Conversation with Alice (alice)", "# Conversation with Zoë \\\"Q\\\" Ünicode (zoë)"])
        // Neither an ATX heading nor a setext underline makes a heading inside the quote; a backslash stays one; a line
        // followed by another ends with a hard break.
        #expect(lines.contains("> \\# Not a heading  "))
        #expect(lines.contains(">   \\===  "))
        #expect(lines.contains("> C:\\\\&lt;dir&gt;  "))
        // Nor a link reference definition (which would apply to the whole file) or an image.
        #expect(lines.contains("> \\[here\\]: https://evil.example/login  "))
        #expect(lines.contains("> !\\[\\](https://tracker.example/x)"))
        #expect(lines.contains("> Réponse ✓ &lt;b&gt;bold&lt;/b&gt; &amp; more\ttab"))
        #expect(lines.contains { $0.hasPrefix("**Admin** (admin, admin) · ") && $0.contains(" · edited ") })
        #expect(lines.contains { $0.hasPrefix("**Alice** (alice) · ") && $0.hasSuffix(" UTC") })
        #expect(!markdown.stdout.contains("secret"))
        #expect(!markdown.stdout.contains("<b>"))
        let aliceHeading = lines.firstIndex(of: "# Conversation with Alice (alice)")!
        #expect(lines[aliceHeading + 2] == "Conversation `\(alice.id.lowercasedString)`, user `\(f.alice.id.lowercasedString)`.")
    }

    /// Markdown shows each message as it was written: rendered by an independent CommonMark implementation (with
    /// GitHub's tables and strikethrough), each quote holds the message's text, line for line, and no markup at all.
    @Test func markdownQuotesRenderAsWritten() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let texts = [
            "# Heading\n## two\n- # x\n1. # y\n2) z\n+ plus\n-\n* star\n123456789. long",
            "`code` and ``a < b`` and *em* _u_ **strong** ~~strike~~ snake_case 2*3*4",
            "```\nfenced <b>\n```\n~~~\nx & y\n~~~",
            "    indented <code>\n\tTabbed & more\n  two spaces",
            "a | b\n--- | ---\nc | d",
            "Title\n===\nOther\n---\n***\n___\n- - -",
            "[link](http://x) ![img](y) <http://auto> <b>bold</b>\n[ref]: http://evil",
            "line one\nline two  \nline three\\\n\nnew paragraph &amp; &lt; \\* C:\\path\\",
            "> not a quote\n>> nor this\n<div>html</div>",
        ]
        for text in texts { _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: text) }
        let file = try Self.folder().appendingPathComponent("all.md")
        let export = try await Self.export(["--format", "markdown", "--output", file.path], database)
        #expect(export.status == 0, "\(export.stderr)")

        struct Rendered: Decodable {
            var quotes: [String]
            var tags: [String]
        }
        let rendered = try #require(
            try await InteropScript.run("markdown_interop.py", "quotes", ["path": file.path], as: Rendered.self, needs: "markdown-it-py"))
        #expect(rendered.tags.allSatisfy { ["p", "br"].contains($0) }, "\(rendered.tags)")
        // As a reader sees them: each line without the blanks around it, blank lines dropped.
        func lines(_ text: String) -> [String] {
            text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(rendered.quotes.count == texts.count)
        for (quote, text) in zip(rendered.quotes, texts) { #expect(lines(quote) == lines(text)) }
        db.close()
    }

    /// A display name of quotes (each escaped as two bytes) still gives mbox header lines under RFC 5322's 998 octets.
    @Test func mboxHeaderLinesStayUnder998Octets() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        _ = try Fixtures.make(db)
        let quoted = try UserRepository.insert(db, username: "quotes", displayName: String(repeating: "\"", count: 600), slug: "quotes")
        let conversation = try ConversationRepository.insert(db, userId: quoted.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: quoted.id, content: "hello")
        let mbox = try await Self.export(["--format", "mbox"], database)
        #expect(mbox.status == 0, "\(mbox.stderr)")
        let long = mbox.stdout.split(separator: "\n").filter { $0.utf8.count > 998 }
        #expect(long.isEmpty, "\(long.map { $0.prefix(40) })")
        #expect(mbox.stdout.contains("\nFrom: "))
    }

    @Test func filtersSelectConversationSenderTimeAndDeleted() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let alice = try ConversationRepository.insert(db, userId: f.alice.id)
        let bob = try ConversationRepository.insert(db, userId: f.bob.id)
        var byName: [String: String] = [:]
        for (name, conversation, sender, createdAt) in [
            ("m1", alice, f.alice, "2025-01-01T10:00:00Z"), ("m2", alice, f.admin, "2025-01-02T10:00:00Z"),
            ("m3", alice, f.alice, "2025-01-03T10:00:00Z"), ("m4", alice, f.alice, "2025-01-04T10:00:00Z"),
            ("b1", bob, f.bob, "2025-01-02T12:00:00Z"), ("b2", bob, f.admin, nil),
        ] as [(String, Conversation, User, String?)] {
            let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: sender.id, content: "text of \(name)")
            if let createdAt { try db.query("UPDATE messages SET created_at = $1::timestamptz WHERE id = $2", [createdAt, message.id]) }
            byName[message.id.lowercasedString] = name
        }
        try db.execute("UPDATE messages SET deleted_at = now() WHERE content = 'text of m4'")
        func names(_ arguments: [String]) async throws -> [String] {
            let result = try await Self.export(arguments, database)
            guard result.status == 0 else { throw TestFailure("\(arguments): \(result.stderr)") }
            return try Self.ids(result.stdout).map { byName[$0] ?? $0 }
        }
        #expect(try await names([]) == ["m1", "m2", "m3", "b1", "b2"])
        #expect(try await names(["--conversation", "alice"]) == ["m1", "m2", "m3"])
        #expect(try await names(["--conversation", String(bob.id.lowercasedString.prefix(24))]) == ["b1", "b2"])
        #expect(try await names(["--conversation", bob.id.lowercasedString]) == ["b1", "b2"])
        #expect(try await names(["--user", "admin"]) == ["m2", "b2"])
        #expect(try await names(["--user", f.alice.id.lowercasedString]) == ["m1", "m3"])
        #expect(try await names(["--since", "2025-01-02T00:00:00Z", "--until", "2025-01-03T00:00:00Z"]) == ["m2", "b1"])
        #expect(try await names(["--since", "2025-01-02T10:00:00Z", "--until", "2025-01-03T10:00:00Z"]) == ["m2", "b1"])
        #expect(try await names(["--since", "30d"]) == ["b2"])
        #expect(try await names(["--until", "30d"]) == ["m1", "m2", "m3", "b1"])
        #expect(try await names(["--include-deleted", "--conversation", "alice"]) == ["m1", "m2", "m3", "m4"])
        let deleted = try await Self.export(["--include-deleted", "--since", "2025-01-04T00:00:00Z", "--until", "2025-01-05T00:00:00Z"], database)
        let object = try Self.jsonLines(deleted.stdout).first
        #expect(object?["deleted_at"] as? String != nil)
        let csv = try await Self.export(["--format", "csv", "--user", "admin"], database)
        #expect(try ExportParsing.csv(csv.stdout).count == 3)
        // An empty selection is an empty file (CSV: the header alone).
        let none = try await Self.export(["--format", "csv", "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02T00:00:00Z"], database)
        #expect(none.status == 0)
        #expect(try ExportParsing.csv(none.stdout).count == 1)
    }

    @Test func badInputIsOneLineAndTheRightStatus() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let first = try ConversationRepository.insert(db, userId: f.alice.id)
        let second = try ConversationRepository.insert(db, userId: f.bob.id)
        let common = String(zip(first.id.lowercasedString, second.id.lowercasedString).prefix { $0 == $1 }.map(\.0))
        let folder = try Self.folder()
        let state = folder.appendingPathComponent("state.json").path
        var cases: [([String], MsgLib.ExitStatus, String)] = [
            (["--since", "yesterday"], .usage, "--since \"yesterday\" is not a time"),
            (["--until", "2026-13-01T00:00:00Z"], .usage, "--until"),
            (["--since", "2025-01-02T00:00:00Z", "--until", "2025-01-01T00:00:00Z"], .usage, "--since must be before --until"),
            (["--format", "xml"], .usage, "xml"),
            (["--conversation", "alice", "--user", "bob"], .usage, "--conversation and --user cannot be used together"),
            (["--state", state, "--until", "1d"], .usage, "--until cannot be used with --state"),
            (["--wait"], .usage, "--wait only applies with --state"),
            (["--user", "nobody"], .noUser, "no user \"nobody\""),
            (["--conversation", "nobody"], .noUser, "no conversation or user \"nobody\""),
            (["--conversation", "admin"], .noUser, "admin has no conversation yet"),
        ]
        if common.count >= 4 { cases.append((["--conversation", common], .dataError, "matches several conversations")) }
        for (arguments, status, message) in cases {
            let result = try await Self.export(arguments, database)
            #expect(result.status == status.rawValue, "\(arguments): \(result.stderr)")
            // The first line names the problem; command-line mistakes are followed by msgctl's usage lines.
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.first?.contains(message) == true, "\(arguments): \(result.stderr)")
            #expect(lines.count == 1 || status == .usage, "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: state))

        // A state file is for one selection, and must be one.
        #expect(try await Self.export(["--state", state, "--conversation", "alice"], database).status == 0)
        let other = try await Self.export(["--state", state, "--conversation", "bob"], database)
        #expect(other.status == ExitStatus.usage.rawValue && other.stderr.contains("was made with other filters"), "\(other.stderr)")
        let garbage = folder.appendingPathComponent("garbage.json").path
        try "not json".write(toFile: garbage, atomically: true, encoding: .utf8)
        let corrupt = try await Self.export(["--state", garbage], database)
        #expect(corrupt.status == ExitStatus.dataError.rawValue && corrupt.stderr.contains("is not a msgctl export state file"), "\(corrupt.stderr)")
    }

    @Test func outputIsAtomicWhateverFails() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "hello")
        let folder = try Self.folder()
        let plainFile = folder.appendingPathComponent("plain")
        try "x".write(to: plainFile, atomically: true, encoding: .utf8)

        // Unwritable places: one line naming the path, status 73, nothing created.
        for (path, reason) in [
            ("/nonexistent-msgctl-dir/out.jsonl", "cannot create a file in /nonexistent-msgctl-dir: No such file or directory"),
            (plainFile.path + "/out.jsonl", "Not a directory"),
            (folder.path, "is a directory"),
            ("/proc/out.jsonl", "cannot create a file in /proc"),
            ("/dev/null", "not a regular file"),
        ] {
            let result = try await Self.export(["--output", path], database)
            #expect(result.status == ExitStatus.cantCreate.rawValue, "\(path): \(result.stderr)")
            #expect(result.stderr.contains(reason) && result.stderr.split(separator: "\n").count == 1, "\(path): \(result.stderr)")
        }

        // A database that is not there: the existing file stays as it was, no temporary file is left.
        let existing = folder.appendingPathComponent("existing.jsonl")
        try "previous export\n".write(to: existing, atomically: true, encoding: .utf8)
        let gone = try await ProcessRunner.runDetached(
            Self.msgctlPath, ["export", "--output", existing.path], environment: ["DATABASE_URL": try TestDatabase.conninfo(for: "no_such_database")])
        // (Refused for good by the server: a configuration error, 78.)
        #expect(gone.status == ExitStatus.config.rawValue, "\(gone.stderr)")
        #expect(gone.stderr.contains("database refused") && gone.stderr.split(separator: "\n").count == 1, "\(gone.stderr)")
        #expect(try Self.read(existing) == "previous export\n")
        #expect(try Self.temporaryFiles(folder).isEmpty)

        // A successful run replaces it whole, and keeps its permission bits.
        chmod(existing.path, 0o640)
        #expect(try await Self.export(["--output", existing.path], database).status == 0)
        #expect(try Self.ids(try Self.read(existing)).count == 1)
        #expect((try FileManager.default.attributesOfItem(atPath: existing.path)[.posixPermissions] as? Int) == 0o640)
        let fresh = folder.appendingPathComponent("fresh.jsonl")
        #expect(try await Self.export(["--output", fresh.path], database).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: fresh.path)[.posixPermissions] as? Int) == 0o600)

        // A symbolic link at the name is replaced by the file, not followed: what it pointed to stays as it was.
        let target = folder.appendingPathComponent("target.jsonl")
        try "target\n".write(to: target, atomically: true, encoding: .utf8)
        chmod(target.path, 0o644)
        let toFile = folder.appendingPathComponent("to-file.jsonl")
        let toDirectory = folder.appendingPathComponent("to-directory.jsonl")
        try FileManager.default.createSymbolicLink(atPath: toFile.path, withDestinationPath: target.path)
        try FileManager.default.createSymbolicLink(atPath: toDirectory.path, withDestinationPath: folder.path)
        for link in [toFile, toDirectory] {
            let result = try await Self.export(["--output", link.path], database)
            #expect(result.status == 0, "\(link.lastPathComponent): \(result.stderr)")
            let attributes = try FileManager.default.attributesOfItem(atPath: link.path)
            #expect(attributes[.type] as? FileAttributeType == .typeRegular && attributes[.posixPermissions] as? Int == 0o600)
            #expect(try Self.ids(try Self.read(link)).count == 1)
        }
        #expect(try Self.read(target) == "target\n")

        // The temporary file goes by its absolute path (a pending state names it for a run in another directory).
        let relative = "msgctl-relative-\(UUID().uuidString).jsonl"
        let file = try AtomicFile(path: relative)
        #expect(file.temporaryPath.hasPrefix(FileManager.default.currentDirectoryPath + "/."), "\(file.temporaryPath)")
        #expect(AtomicFile.exists(file.temporaryPath))
        file.abandon()
        #expect(!AtomicFile.exists(file.temporaryPath) && !AtomicFile.exists(relative))
    }

    /// A `statement_timeout` in the connection string (or PGOPTIONS, or the role's settings) does not cut an export short.
    @Test func aStatementTimeoutFromTheConnectionDoesNotCutAnExportShort() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try db.execute("SET session_replication_role = replica")
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, repeat('bulk message ', 20) || n FROM generate_series(1, 100000) n",
            [conversation.id, f.alice.id])
        try db.execute("RESET session_replication_role")
        let output = try Self.folder().appendingPathComponent("all.csv")
        let result = try await ProcessRunner.runDetached(
            Self.msgctlPath, ["export", "--format", "csv", "--output", output.path],
            environment: ["DATABASE_URL": database.conninfo + " options='-c statement_timeout=40'"], timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.read(output).split(separator: "\r\n").count == 100_001)
    }

    /// The database connection dies while rows stream into the temporary file, and msgctl is killed midway: the
    /// existing file is never replaced.
    @Test func anExportInterruptedMidwayLeavesTheExistingFile() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        try db.execute("SET session_replication_role = replica")  // no per-row triggers for the bulk insert
        try db.query(
            "INSERT INTO messages (conversation_id, sender_id, content) SELECT $1, $2, repeat('bulk message ', 20) || n FROM generate_series(1, 300000) n",
            [conversation.id, f.alice.id])
        try db.execute("RESET session_replication_role")
        let folder = try Self.folder()
        let existing = folder.appendingPathComponent("existing.jsonl")

        for ending in ["backend terminated", "SIGTERM", "SIGKILL"] {
            try "previous export\n".write(to: existing, atomically: true, encoding: .utf8)
            let child = try ChildProcess(Self.msgctlPath, ["export", "--output", existing.path], environment: ["DATABASE_URL": database.conninfo])
            // Run msgctl in slices of a few milliseconds, stopped between them, until rows are in its temporary file:
            // stopped while the file is looked at, it cannot finish the export between the look and the stop (a whole
            // export of these rows takes well under a second).
            try await waitFor("a temporary file with data", timeout: 60) {
                guard child.isRunning else { throw TestFailure("msgctl ended first: \(child.stderr)") }
                // The slice is timed on this thread (usleep), not by a task sleep that a busy test run may resume
                // much later while msgctl runs on.
                child.signal(SIGCONT)
                usleep(3_000)
                child.signal(SIGSTOP)
                return try Self.temporaryFiles(folder).contains { name in
                    ((try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.size] as? Int) ?? 0) > 0
                }
            }
            switch ending {
            case "backend terminated":
                let killer = try database.connect()
                try killer.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'msgctl'", [database.name])
                killer.close()
                child.signal(SIGCONT)
                let status = try child.waitUntilExit(timeout: 60)
                #expect(status == ExitStatus.unavailable.rawValue, "\(child.stderr)")
                #expect(child.stderr.split(separator: "\n").count == 1, "\(child.stderr)")
                #expect(try Self.temporaryFiles(folder).isEmpty)
            case "SIGTERM":
                child.signal(SIGTERM)
                child.signal(SIGCONT)
                #expect(try child.waitUntilExit(timeout: 60) == 128 + SIGTERM)
                #expect(try Self.temporaryFiles(folder).isEmpty)
            default:
                child.signal(SIGKILL)
                #expect(try child.waitUntilExit(timeout: 60) == 128 + SIGKILL)
                // A crash can leave the temporary file, never a partial target.
                for name in try Self.temporaryFiles(folder) { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
            }
            #expect(try Self.read(existing) == "previous export\n", "\(ending)")
        }
    }
}

// MARK: - Incremental exports

extension ExportTests {
    /// An incremental run never writes over a file: it holds an earlier run's messages, which the state has passed.
    @Test func anIncrementalRunRefusesAnOutputThatExists() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let alice = try ConversationRepository.insert(db, userId: f.alice.id)
        let folder = try Self.folder()
        let state = folder.appendingPathComponent("export.state").path
        let output = folder.appendingPathComponent("same-name.jsonl")
        let first = try MessageRepository.insert(db, conversationId: alice.id, senderId: f.alice.id, content: "first").id
        #expect(try await Self.export(["--state", state, "--output", output.path], database).status == 0)
        let second = try MessageRepository.insert(db, conversationId: alice.id, senderId: f.alice.id, content: "second").id
        let again = try await Self.export(["--state", state, "--output", output.path], database)
        #expect(again.status == ExitStatus.cantCreate.rawValue && again.stderr.contains("exists"), "\(again.stderr)")
        #expect(try Self.ids(try Self.read(output)) == [first.lowercasedString])
        #expect(try Self.temporaryFiles(folder).isEmpty)
        // The refused run moved nothing: the next one, to a new name, has the message.
        let next = folder.appendingPathComponent("next.jsonl")
        #expect(try await Self.export(["--state", state, "--output", next.path], database).status == 0)
        #expect(try Self.ids(try Self.read(next)) == [second.lowercasedString])
        // Without --state an export is whole, and replaces the file as asked.
        #expect(try await Self.export(["--output", output.path], database).status == 0)
        #expect(Set(try Self.ids(try Self.read(output))) == [first.lowercasedString, second.lowercasedString])
    }

    /// One writer inserts and keeps its transaction open while exports run; others commit around it.
    @Test func aTransactionHeldOpenAcrossRunsIsExportedOnceWhenItCommits() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let alice = try ConversationRepository.insert(db, userId: f.alice.id)
        let bob = try ConversationRepository.insert(db, userId: f.bob.id)
        let folder = try Self.folder()
        let state = folder.appendingPathComponent("export.state").path
        var runs: [[String]] = []
        func run() async throws -> [String] {
            let output = folder.appendingPathComponent("run\(runs.count + 1).jsonl")
            let result = try await Self.export(["--state", state, "--output", output.path], database)
            guard result.status == 0 else { throw TestFailure("run \(runs.count + 1): \(result.stderr)") }
            let ids = try Self.ids(try Self.read(output))
            runs.append(ids)
            return ids
        }
        var all: [UUID] = []
        all.append(try MessageRepository.insert(db, conversationId: alice.id, senderId: f.alice.id, content: "before the first run").id)
        #expect(try await run() == all.map(\.lowercasedString))

        // A writer begins, inserts, and waits.
        let writer = try database.connect()
        try writer.execute("BEGIN")
        let held = try MessageRepository.insert(writer, conversationId: bob.id, senderId: f.bob.id, content: "held open").id
        all.append(held)
        // Others commit after it, with later ids.
        for n in 1...3 { all.append(try MessageRepository.insert(db, conversationId: alice.id, senderId: f.alice.id, content: "after \(n)").id) }
        let second = try await run()
        #expect(!second.contains(held.lowercasedString))

        try writer.execute("COMMIT")
        let third = try await run()
        #expect(third.contains(held.lowercasedString))

        // Updates to exported messages (read, edited) do not bring them back.
        try db.execute("UPDATE messages SET read_at = now(), edited_at = now()")
        all.append(try MessageRepository.insert(db, conversationId: bob.id, senderId: f.admin.id, content: "last").id)
        _ = try await run()
        _ = try await run()
        let exported = runs.flatMap { $0 }
        #expect(exported.sorted() == all.map(\.lowercasedString).sorted(), "runs: \(runs)")
        #expect(Set(exported).count == exported.count)

        // The state file says where it stopped.
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any]
        #expect((saved?["cursor"] as? [String: Any])?["messages"] as? Int == all.count)
        #expect(saved?["pending"] == nil || saved?["pending"] is NSNull)
    }

    /// Without --output, the state advances once standard output took everything.
    @Test func anIncrementalExportToStandardOutput() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let state = try Self.folder().appendingPathComponent("state").path
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "first")
        var outputs: [[String]] = []
        for step in 0..<3 {
            if step == 2 { _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "second") }
            let result = try await Self.export(["--state", state, "--format", "csv"], database)
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try ExportParsing.csv(result.stdout).dropFirst().map { $0[6] })
        }
        #expect(outputs == [["first"], [], ["second"]])
    }

    /// `--since` with a state file limits the first run's backfill only: a later run exports everything added since the
    /// run before, however long ago that was (a cron job run late, or `--since` shorter than the gap between runs, would
    /// otherwise leave out for good what came between, the state moving past it).
    @Test func sinceWithAStateLimitsTheFirstRunOnly() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let state = try Self.folder().appendingPathComponent("state").path
        func insert(_ content: String, hoursAgo: Int) throws {
            let message = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: content)
            try db.query("UPDATE messages SET created_at = now() - make_interval(hours => $2) WHERE id = $1", [message.id, hoursAgo])
        }
        try insert("before the backfill", hoursAgo: 3)
        try insert("backfilled", hoursAgo: 0)
        var outputs: [[String]] = []
        for step in 0..<3 {
            // Made after the run before, yet longer ago than --since when this run comes (as if it came two hours later).
            if step > 0 { try insert("between runs \(step)", hoursAgo: 2) }
            let result = try await Self.export(["--state", state, "--format", "csv"] + (step < 2 ? ["--since", "1h"] : []), database)
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try ExportParsing.csv(result.stdout).dropFirst().map { $0[6] })
        }
        #expect(outputs == [["backfilled"], ["between runs 1"], ["between runs 2"]])
    }

    /// Writers on threads of their own insert with transactions held open for random times while exports run
    /// back to back: every committed message ends up in exactly one output, none of the rolled-back ones in any.
    @Test func concurrentWritersAreExportedExactlyOnce() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        // Each writer its own two conversations: writers sharing a sender queue behind each other's open
        // transactions (and deadlock), which leaves too few commits on a busy machine.
        let users = try [f.alice, f.bob] + (0..<6).map { try UserRepository.insert(db, username: "writer\($0)", displayName: "W\($0)") }
        let conversations = try users.map { try ConversationRepository.insert(db, userId: $0.id) }
        let committed = Mutex<[String]>([])
        let rolledBack = Mutex<[String]>([])
        let stop = Flag(false)
        let done = DispatchGroup()
        for worker in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                guard let connection = try? database.connect() else { return }
                var n = 0
                while !stop.isSet {
                    n += 1
                    do {
                        try connection.execute("BEGIN")
                        var ids: [String] = []
                        for _ in 0..<Int.random(in: 1...3) {
                            let conversation = conversations[2 * worker + Int.random(in: 0..<2)]
                            let sender = conversation.userId
                            ids.append(
                                try MessageRepository.insert(
                                    connection, conversationId: conversation.id, senderId: sender, content: "w\(worker) n\(n)"
                                ).id
                                    .lowercasedString)
                            usleep(UInt32.random(in: 0...150_000))
                        }
                        if Int.random(in: 0..<10) == 0 {
                            try connection.execute("ROLLBACK")
                            rolledBack.withLock { $0 += ids }
                        } else {
                            try connection.execute("COMMIT")
                            committed.withLock { $0 += ids }
                        }
                    } catch {
                        connection.abandonTransaction()
                    }
                }
            }
        }
        let folder = try Self.folder()
        let state = folder.appendingPathComponent("state.json").path
        var outputs: [[String]] = []
        let deadline = Date().addingTimeInterval(6)
        let limit = Date().addingTimeInterval(120)
        while Date() < deadline || outputs.count < 4 || (committed.withLock { $0.count } < 40 && Date() < limit) {
            let output = folder.appendingPathComponent("out\(outputs.count).jsonl").path
            let result = try await Self.export(["--state", state, "--output", output], database)
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try Self.ids(try Self.read(URL(fileURLWithPath: output))))
        }
        stop.set(true)
        _ = done.wait(timeout: .now() + 30)
        let final = folder.appendingPathComponent("final.jsonl").path
        #expect(try await Self.export(["--state", state, "--output", final], database).status == 0)
        outputs.append(try Self.ids(try Self.read(URL(fileURLWithPath: final))))
        let exported = outputs.flatMap { $0 }
        let expected = committed.withLock { $0 }
        #expect(expected.count >= 40)
        #expect(Set(exported).count == exported.count, "duplicates across \(outputs.count) runs")
        #expect(Set(exported) == Set(expected))
        #expect(Set(exported).isDisjoint(with: rolledBack.withLock { $0 }))
    }

    /// Two runs with one state file at the same time: the second exits with 75 at once, or waits with --wait.
    @Test func aSecondRunWithTheSameStateExitsOrWaits() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let folder = try Self.folder()
        let state = folder.appendingPathComponent("state.json").path
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "one")
        #expect(try await Self.export(["--state", state, "--output", folder.appendingPathComponent("0.jsonl").path], database).status == 0)

        // While something holds the state's lock, a run exits with 75 at once and writes nothing...
        let holder = open(state + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)  // not inherited by the runs started below
        #expect(holder >= 0 && flock(holder, LOCK_EX) == 0)
        let refused = try await Self.export(["--state", state, "--output", folder.appendingPathComponent("refused.jsonl").path], database)
        #expect(refused.status == ExitStatus.tempFail.rawValue, "\(refused.stderr)")
        #expect(refused.stderr == "msgctl: another msgctl export is running with the state file \(state); try again later, or pass --wait\n")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("refused.jsonl").path))
        // ... and with --wait it waits, then runs.
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "two")
        let waiting = try ChildProcess(
            Self.msgctlPath, ["export", "--state", state, "--wait", "--output", folder.appendingPathComponent("1.jsonl").path],
            environment: ["DATABASE_URL": database.conninfo])
        try await Task.sleep(for: .milliseconds(700))
        #expect(waiting.isRunning)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("1.jsonl").path))
        close(holder)
        #expect(try waiting.waitUntilExit(timeout: 60) == 0, "\(waiting.stderr)")

        // Two runs started together, while a writer held open makes each one wait for it (a second) before it
        // exports: one runs, the other exits with 75.
        let writer = try database.connect()
        try writer.execute("BEGIN")
        _ = try MessageRepository.insert(writer, conversationId: conversation.id, senderId: f.alice.id, content: "three")
        let runs = try ["2", "3"].map { name in
            try ChildProcess(
                Self.msgctlPath, ["export", "--state", state, "--output", folder.appendingPathComponent("\(name).jsonl").path],
                environment: ["DATABASE_URL": database.conninfo])
        }
        let statuses = try runs.map { try $0.waitUntilExit(timeout: 60) }
        #expect(statuses.sorted() == [0, ExitStatus.tempFail.rawValue], "\(runs.map(\.stderr))")
        try writer.execute("COMMIT")
        #expect(try await Self.export(["--state", state, "--output", folder.appendingPathComponent("4.jsonl").path], database).status == 0)
        let contents = try ["0", "1", "2", "3", "4"].map { name -> [String?] in
            let url = folder.appendingPathComponent("\(name).jsonl")
            guard FileManager.default.fileExists(atPath: url.path) else { return [] }
            return try Self.jsonLines(try Self.read(url)).map { $0["content"] as? String }
        }
        #expect(contents.flatMap { $0 } == ["one", "two", "three"], "\(contents)")
    }
}
