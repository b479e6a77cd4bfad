import Foundation
import MsgLib
import TestSupport
import Testing

/// Where attached files show besides sends: search, resume, the Slack notice, exports, msgctl.
@Suite(.needsProcesses, .processSlot) struct AttachmentSurfacesTests {
    typealias Flow = AttachmentFlowTests

    static func msgctl(_ arguments: [String], _ database: TestDatabase, _ folder: String) async throws -> ProcessResult {
        try await ProcessRunner.runDetached(TestEnvironment.binary("msgctl"), arguments, environment: environment(database, folder), timeout: 60)
    }

    /// msgctl's environment: the test's database and local store.
    static func environment(_ database: TestDatabase, _ folder: String) -> [String: String?] {
        ["DATABASE_URL": database.conninfo, "ATTACHMENT_STORE": "local:\(folder)", "JWT_SECRET": TestRelay.secret]
    }

    @Test func searchResumeSlackExportsAndMsgctl() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let slack = try RecordingHTTPServer()
        let (relay, folder) = try await Flow.relay(
            database, ["SLACK_WEBHOOK_URL": slack.url("/hook"), "ADMIN_URL_BASE": "https://admin.example.org", "OUTBOX_RETRY_BASE_SECONDS": "0.2"])
        let alice = relay.token(f.alice)

        let admin = try relay.socket(f.admin)
        _ = try await admin.next(type: "connected")
        let image = Flow.png(width: 3, height: 2, size: 100)
        let first = try await Flow.upload(relay, alice, "a.png", "image/png", image)
        let second = try await Flow.upload(relay, alice, "b<x>&.pdf", "application/pdf", Flow.pdf)
        let sent = try await relay.request(
            "POST", "/api/messages", token: alice, json: ["content": "invoice attached", "attachment_ids": [first, second]])
        #expect(sent.status == 201)
        let frame = try await admin.next(type: "message")
        #expect((frame.data["attachments"] as? [Any])?.count == 2)
        _ = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "later"])
        _ = try await admin.next(type: "message")

        // Search results carry the files.
        let search = try await relay.request("GET", "/api/messages/search?q=invoice", token: alice)
        #expect(search.object.array("results").first.flatMap { ($0["message"] as? [String: Any])?["attachments"] as? [[String: Any]] }?.count == 2)

        // A resume from before the message replays it with its files.
        let resumed = try relay.socket(f.admin)
        _ = try await resumed.next(type: "connected")
        let messageId = try #require(sent.object.string("id"))
        try resumed.send(["type": "resume", "data": ["last_message_id": "00000000-0000-0000-0000-000000000000"]])
        let replay = try await resumed.next { $0.type == "message" && $0.data["id"] as? String == messageId }
        #expect((replay.data["attachments"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [first, second])

        // The Slack notice counts and names the files, escaped.
        let notice = try await slack.waitForRequests(count: 1)[0]
        let object = try #require(try JSONSerialization.jsonObject(with: Data(notice.body)) as? [String: Any])
        #expect(object.string("blocks.0.text.text") == "*Alice*\ninvoice attached\n2 attachments: a.png, b&lt;x&gt;&amp;.pdf")

        // Exports: JSON Lines and CSV carry the list, Markdown and mbox a line per file.
        let jsonl = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["export"], environment: ["DATABASE_URL": database.conninfo], timeout: 60)
        #expect(jsonl.status == 0)
        let rows = jsonl.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(rows.map { ($0["attachments"] as? [[String: Any]])?.count ?? -1 } == [2, 0])
        #expect((rows.first?["attachments"] as? [[String: Any]])?.first?["width"] as? Int == 3)
        let markdown = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["export", "--format", "markdown"], environment: ["DATABASE_URL": database.conninfo], timeout: 60)
        #expect(markdown.stdout.contains("\nAttachment: a\\.png (image/png, 100 bytes, 3x2) `\(first)`\n"))
        #expect(markdown.stdout.contains("\nAttachment: b\\<x\\>\\&\\.pdf (application/pdf, \(Flow.pdf.count) bytes) `\(second)`\n"))
        let mbox = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["export", "--format", "mbox"], environment: ["DATABASE_URL": database.conninfo], timeout: 60)
        #expect(mbox.stdout.contains("invoice attached\n[attachment: a.png (image/png, 100 bytes, 3x2) \(first)]\n"))
        let csv = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["export", "--format", "csv"], environment: ["DATABASE_URL": database.conninfo], timeout: 60)
        #expect(
            csv.stdout.hasPrefix(
                "id,conversation_id,sender_id,sender_username,sender_display_name,sender_is_admin,content,created_at,read_at,edited_at,deleted_at,attachments\r\n"
            ))
        #expect(csv.stdout.contains(first))

        // msgctl show lists them; get reads the file from the store.
        let show = try await Self.msgctl(["show", "alice"], database, folder)
        #expect(show.stdout.contains("  [attachment] a.png (image/png, 100 B 3x2) \(first)"))
        let out = try TestEnvironment.scratchFolder("attachment").appendingPathComponent("a.png").path
        let get = try await Self.msgctl(["attachments", "get", first, "-o", out], database, folder)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(FileManager.default.contents(atPath: out) == image)
        // Interrupted while it reads (the store's file a pipe nobody writes to): its temporary file goes with it.
        let storeFile = folder + "/files/" + (try db.scalar("SELECT store_key FROM attachments WHERE id = $1::uuid", [first], as: String.self))
        #expect(rename(storeFile, storeFile + ".aside") == 0 && mkfifo(storeFile, 0o600) == 0)
        let outFolder = (out as NSString).deletingLastPathComponent
        let interrupted = try ChildProcess(
            TestEnvironment.binary("msgctl"), ["attachments", "get", first, "-o", outFolder + "/interrupted.png"],
            environment: Self.environment(database, folder))
        let temporary = { try FileManager.default.contentsOfDirectory(atPath: outFolder).filter { $0.hasPrefix(".interrupted.png") } }
        try await waitFor("the temporary file") { try !temporary().isEmpty }
        interrupted.signal(SIGINT)
        try await waitFor("msgctl to stop") { !interrupted.isRunning }
        #expect(try temporary().isEmpty && !FileManager.default.fileExists(atPath: outFolder + "/interrupted.png"))
        #expect(unlink(storeFile) == 0 && rename(storeFile + ".aside", storeFile) == 0)
        let missing = try await Self.msgctl(["attachments", "get", UUID().lowercasedString, "-o", out], database, folder)
        #expect(missing.status != 0 && missing.stderr.contains("Attachment not found"))
        let traversal = try await Self.msgctl(["attachments", "get", "../../etc/passwd"], database, folder)
        #expect(traversal.status == 2)
        // The file is private (0600); a pipe or device is not replaced by a plain file; a missing file leaves none.
        var info = stat()
        #expect(stat(out, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let fifo = out + ".fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let overFifo = try await Self.msgctl(["attachments", "get", first, "-o", fifo], database, folder)
        #expect(overFifo.status == 73 && overFifo.stderr.contains("not a regular file"), "\(overFifo.stderr)")
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        let none = out + ".none"
        let stillMissing = try await Self.msgctl(["attachments", "get", UUID().lowercasedString, "-o", none], database, folder)
        #expect(stillMissing.status != 0 && !FileManager.default.fileExists(atPath: none))
        // A cut-off in the future would take the files of messages deleted a moment ago: refused, as purge refuses it.
        let future = try await Self.msgctl(["attachments", "purge", "--deleted-before", "2999-01-01T00:00:00Z"], database, folder)
        #expect(future.status == 2 && future.stderr.contains("must not be in the future"), "\(future.stderr)")

        // Purge: the files of messages deleted long enough ago go; gc: uploads never attached.
        #expect((try await relay.request("DELETE", "/api/messages/\(messageId)", token: alice)).status == 204)
        let notYet = try await Self.msgctl(["attachments", "purge", "--deleted-before", "1h"], database, folder)
        #expect(notYet.stdout == "removed 0 files of deleted messages\n")
        // A file the store will not remove now (a directory in its place): the other goes, the command says so and
        // exits 75, and the file's key stays queued for the relays' collector.
        let blockedKey = try db.scalar("SELECT store_key FROM attachments WHERE id = $1::uuid", [first], as: String.self)
        let blocked = folder + "/files/" + blockedKey
        try FileManager.default.removeItem(atPath: blocked)
        try FileManager.default.createDirectory(atPath: blocked + "/in-the-way", withIntermediateDirectories: true)
        let purge = try await Self.msgctl(["attachments", "purge", "--deleted-before", "0s"], database, folder)
        #expect(purge.status == ExitStatus.tempFail.rawValue && purge.stdout == "removed 1 file of deleted messages\n", "\(purge.stderr)")
        #expect(purge.stderr.contains("1 file could not be removed from the store"), "\(purge.stderr)")
        #expect(try db.scalar("SELECT count(*) FROM attachment_garbage WHERE store_key = $1", [blockedKey], as: Int.self) == 1)
        try FileManager.default.removeItem(atPath: blocked)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/files").isEmpty)
        _ = try await Flow.upload(relay, alice, "left.txt", "text/plain", Data("x".utf8))
        let kept = try await Self.msgctl(["attachments", "gc"], database, folder)
        #expect(kept.stdout == "removed 0 unattached uploads\n")
        let gc = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["attachments", "gc"],
            environment: [
                "DATABASE_URL": database.conninfo, "ATTACHMENT_STORE": "local:\(folder)", "ATTACHMENT_PENDING_SECONDS": "0.001",
                "ATTACHMENT_UPLOAD_URL_SECONDS": "0.001",
            ],
            timeout: 60)
        #expect(gc.stdout == "removed 1 unattached upload\n", "\(gc.stderr)")
        let off = try await ProcessRunner.runDetached(
            TestEnvironment.binary("msgctl"), ["attachments", "gc"], environment: ["DATABASE_URL": database.conninfo, "ATTACHMENT_STORE": nil],
            timeout: 60)
        #expect(off.status != 0 && off.stderr.contains("ATTACHMENT_STORE is not set"))
        // A folder that is not the relay's store (another host, a share not mounted) is refused, not made: every file
        // to remove would count as removed there, and its key be forgotten.
        let elsewhere = folder + "-elsewhere"
        let wrong = try await Self.msgctl(["attachments", "purge", "--deleted-before", "0s"], database, elsewhere)
        #expect(wrong.status == ExitStatus.config.rawValue && wrong.stderr.contains("is not the relay's store"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere))

        // An admin's reply from msgctl with an upload of theirs.
        let adminFile = try await Flow.upload(relay, relay.token(f.admin), "answer.txt", "text/plain", Data("yes\n".utf8))
        let reply = try await Self.msgctl(["reply", "alice", "", "--attachment", adminFile, "--json"], database, folder)
        #expect(reply.status == 0, "\(reply.stderr)")
        let created = try JSONSerialization.jsonObject(with: Data(reply.stdout.utf8)) as? [String: Any]
        #expect((created?["attachments"] as? [[String: Any]])?.first?["id"] as? String == adminFile)
        let again = try await Self.msgctl(["reply", "alice", "x", "--attachment", adminFile], database, folder)
        #expect(again.status != 0 && again.stderr.contains("Attachment \(adminFile) is not an upload of yours waiting to be sent"))
        try await relay.stop()
        slack.stop()
    }
}
