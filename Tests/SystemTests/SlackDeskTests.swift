import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// The parent message's buttons and the `/msg` slash command, from signed Slack requests to the user's socket and the
/// database, against a real relay and a fake Slack.
@Suite(.needsProcesses, .processSlot) struct SlackDeskTests {
    typealias Desk = SlackInboundTests.Desk

    func unread(_ desk: Desk) throws -> Int {
        try desk.db.scalar("SELECT unread_count_admin FROM conversations WHERE id = $1", [UUID(uuidString: desk.conversationId)!], as: Int.self)
    }

    func archived(_ desk: Desk) throws -> Bool {
        try desk.db.scalar("SELECT archived_by_admin FROM conversations WHERE id = $1", [UUID(uuidString: desk.conversationId)!], as: Bool.self)
    }

    @Test func buttonsMarkReadArchiveAndUnarchiveAndTheParentFollows() async throws {
        let desk = try await Desk.start()
        #expect(
            try await desk.relay.request("POST", "/api/messages", token: desk.relay.token(desk.f.alice), json: ["content": "Hello?"]).status == 201)
        try await desk.slack.waitForCalls("chat.postMessage", count: 2)
        let socket = try await desk.aliceSocket()
        #expect(try unread(desk) == 2)
        let updatesBefore = desk.slack.calls("chat.update").count

        // A Slack user who is not linked changes nothing, and is told so (here in the answer and at the response_url).
        let stranger = try await desk.click(
            "mark_read", value: desk.conversationId, user: SlackInboundTests.strangerSlackUser,
            responseURL: desk.slack.server.url("/response/stranger"))
        #expect(stranger.status == 200)
        #expect(stranger.object.string("response_type") == "ephemeral")
        #expect(stranger.object.string("text")?.contains("not linked") == true)
        let told = try await desk.slack.waitForCalls("stranger", count: 1)[0]
        #expect(told.string("response_type") == "ephemeral" && told.string("text")?.contains("not linked") == true)
        #expect(try unread(desk) == 2)

        // Mark as read: Alice's socket hears of both messages, and the parent message is rewritten.
        let read = try await desk.click("mark_read", value: desk.conversationId)
        #expect(read.status == 200, "\(read.text)")
        try await waitFor("two read receipts") { socket.all(type: "message_read").count == 2 }
        #expect(socket.all(type: "message_read").allSatisfy { $0.data["read_by"] as? String == desk.f.admin.id.lowercasedString })
        #expect(try unread(desk) == 0)
        let update = try await desk.slack.waitForCalls("chat.update", count: updatesBefore + 1).last!
        #expect(update.string("ts") == desk.threadTs)

        #expect(try await desk.click("archive", value: desk.conversationId).status == 200)
        #expect(try archived(desk))
        #expect(try await desk.click("unarchive", value: desk.conversationId).status == 200)
        #expect(try !archived(desk))

        // The same click sent again (a proxy that resends, a replay within the signature's 5 minutes) changes nothing
        // a second time: not a message that came since, not a later unarchive.
        let markRead = SlackRequests.buttonClick(
            user: SlackInboundTests.adminSlackUser, actionId: "mark_read", value: desk.conversationId,
            responseURL: "https://hooks.slack.com/actions/T0TEAM/1/abc")
        let archive = SlackRequests.buttonClick(
            user: SlackInboundTests.adminSlackUser, actionId: "archive", value: desk.conversationId,
            responseURL: "https://hooks.slack.com/actions/T0TEAM/1/abc")
        #expect(try await desk.post("/api/slack/interactions", markRead, form: true).status == 200)
        #expect(try await desk.post("/api/slack/interactions", archive, form: true).status == 200)
        #expect(try archived(desk))
        #expect(try await desk.click("unarchive", value: desk.conversationId).status == 200)
        #expect(
            try await desk.relay.request("POST", "/api/messages", token: desk.relay.token(desk.f.alice), json: ["content": "Since"]).status == 201)
        #expect(try await desk.post("/api/slack/interactions", markRead, form: true).status == 200)
        #expect(try await desk.post("/api/slack/interactions", archive, form: true).status == 200)
        #expect(try unread(desk) == 1)
        #expect(try !archived(desk))
        // The View button is a link: nothing to do.
        #expect(try await desk.click("view", value: desk.conversationId).status == 200)
        #expect(try await desk.click("view", value: nil).status == 200)
        try await desk.db.waitForEmptyOutbox()
        #expect(desk.slack.calls("chat.update").count > updatesBefore)
        try await desk.stop()
    }

    /// A click whose action failed (the database refused it for a moment) is carried out when Slack, or a proxy,
    /// sends it again: only a click carried out counts as spent.
    @Test func aClickThatFailedIsCarriedOutWhenSentAgain() async throws {
        let desk = try await Desk.start()
        try desk.db.execute(
            """
            CREATE FUNCTION refuse_archive() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'not now'; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER refuse_archive BEFORE UPDATE OF archived_by_admin ON conversations FOR EACH ROW EXECUTE FUNCTION refuse_archive();
            """)
        let archive = SlackRequests.buttonClick(
            user: SlackInboundTests.adminSlackUser, actionId: "archive", value: desk.conversationId,
            responseURL: "https://hooks.slack.com/actions/T0TEAM/1/abc")
        _ = try await desk.post("/api/slack/interactions", archive, form: true)
        #expect(try !archived(desk))
        try desk.db.execute("DROP TRIGGER refuse_archive ON conversations")
        #expect(try await desk.post("/api/slack/interactions", archive, form: true).status == 200)
        #expect(try archived(desk))
        try await desk.stop()
    }

    @Test func hostileButtonClicksAreRefusedClearly() async throws {
        let desk = try await Desk.start()
        let evil = try RecordingHTTPServer()
        defer { evil.stop() }
        // Unknown conversations (a random id, a message id), malformed values and payloads: 4xx, nothing changes.
        let messageId = try desk.db.scalar("SELECT id FROM messages LIMIT 1", as: UUID.self)
        let unknown = try await desk.click("mark_read", value: UUID().uuidString, responseURL: evil.url("/steal"))
        #expect(unknown.status == 404 && unknown.error == "Conversation not found")
        #expect(try await desk.click("archive", value: messageId.lowercasedString).status == 404)
        #expect(try await desk.click("archive", value: "'; DROP TABLE conversations;--").status == 400)
        #expect(try await desk.click("launch_rockets", value: desk.conversationId).status == 400)
        let malformed: [Data] = [
            SlackRequests.form([("payload", "{not json")]), SlackRequests.form([("payload", "[]")]), SlackRequests.form([("other", "x")]),
            Data("payload=%zz".utf8), Data([0x70, 0x3D, 0xFF]), SlackRequests.form([("payload", #"{"type":"view_submission","user":{"id":"U1"}}"#)]),
            SlackRequests.form([("payload", #"{"type":"block_actions","user":{"id":"U1\u0000"},"actions":[{"action_id":"view"}]}"#)]),
        ]
        for body in malformed {
            let answer = try await desk.post("/api/slack/interactions", body, form: true)
            #expect(answer.status == 400, "\(String(decoding: body, as: UTF8.self)): \(answer.text)")
            #expect(answer.error?.isEmpty == false)
        }
        #expect(try unread(desk) == 1 && (try !archived(desk)))
        // A response_url elsewhere than Slack or SLACK_API_BASE is never called (a stranger's answer would go there).
        _ = try await desk.click("mark_read", value: desk.conversationId, user: SlackInboundTests.strangerSlackUser, responseURL: evil.url("/steal"))
        _ = try await desk.click(
            "mark_read", value: desk.conversationId, user: SlackInboundTests.strangerSlackUser, responseURL: desk.slack.server.url("/response/ok"))
        try await desk.slack.waitForCalls("ok", count: 1)
        #expect(evil.requests.isEmpty)
        #expect(!desk.relay.process.text.contains("Internal server error"))
        try await desk.stop()
    }

    @Test func slashCommandsAnswerAndReplyGoesThroughTheService() async throws {
        let desk = try await Desk.start()
        let socket = try await desk.aliceSocket()

        let help = try await desk.command("help")
        #expect(help.status == 200)
        #expect(help.object.string("response_type") == "ephemeral")
        #expect(help.object.string("text")?.contains("`/msg reply USER TEXT`") == true)
        let unknown = try await desk.command("dance <!channel>")
        #expect(unknown.object.string("text")?.hasPrefix("Unknown subcommand `dance`.\n*Usage:*") == true)

        let list = try await desk.command("list")
        #expect(list.object.string("text")?.contains("*Alice* (alice): 1 unread: Where is my parcel?") == true, "\(list.text)")
        let show = try await desk.command("show @alice")
        #expect(show.object.string("text")?.contains("Where is my parcel?") == true, "\(show.text)")
        let missing = try await desk.command("show nobody")
        #expect(missing.status == 200 && missing.object.string("text") == "no conversation or user \"nobody\"")

        let reply = try await desk.command("reply alice It ships &lt;today&gt; &amp; arrives soon")
        #expect(reply.status == 200)
        #expect(reply.object.string("text") == "Sent to *Alice* (alice).")
        let delivered = try await socket.next(type: "message")
        #expect(delivered.data["content"] as? String == "It ships <today> & arrives soon")
        #expect((delivered.data["sender"] as? [String: Any])?["username"] as? String == "admin")
        // Sent like any admin reply from the product: it appears in the thread.
        let posted = try await desk.slack.waitForCalls("chat.postMessage", count: 2)
        #expect(posted[1].string("thread_ts") == desk.threadTs)
        // The same request again (a proxy that resends, a replay within the signature's 5 minutes): answered, not sent
        // twice.
        let once = SlackRequests.command(user: SlackInboundTests.adminSlackUser, text: "reply alice Only once")
        let counted = #"msgrelay_messages_created_total{source="slack"}"#
        let before = try await desk.relay.metrics().value(counted) ?? 0
        for _ in 0..<2 {
            let answer = try await desk.post("/api/slack/commands", once, form: true)
            #expect(answer.status == 200 && answer.object.string("text") == "Sent to *Alice* (alice).", "\(answer.text)")
        }
        #expect((try await socket.next(type: "message")).data["content"] as? String == "Only once")
        #expect(try await desk.relay.metrics().value(counted) == before + 1)

        let search = try await desk.command("search parcel")
        #expect(search.object.string("text")?.contains("1 message match") == true, "\(search.text)")
        #expect(search.object.string("text")?.contains("*parcel*") == true)
        #expect(try await desk.command("search zebra").object.string("text") == "No messages match _zebra_.")

        // Refused by the rules: an empty reply after conversion, a NUL.
        #expect(try await desk.command("reply alice \u{0}").object.string("text")?.contains("NUL") == true)
        // An unlinked Slack user: told so, nothing sent.
        let stranger = try await desk.command("reply alice I am not the admin", user: SlackInboundTests.strangerSlackUser)
        #expect(stranger.status == 200 && stranger.object.string("text")?.contains("not linked") == true)
        #expect(try await desk.command("list", user: SlackInboundTests.strangerSlackUser).object.string("text")?.contains("not linked") == true)
        #expect(try desk.adminMessages() == ["It ships <today> & arrives soon", "Only once"])

        // Malformed forms: 400.
        for body in [Data("user_id=%G1".utf8), SlackRequests.form([("text", "list")]), SlackRequests.form([("user_id", "U 1"), ("text", "list")])] {
            let answer = try await desk.post("/api/slack/commands", body, form: true)
            #expect(answer.status == 400, "\(answer.text)")
        }
        // Users' text comes back escaped: a display name that tries to mention everyone.
        try desk.db.query("UPDATE users SET display_name = '<!channel> *Alice*' WHERE id = $1", [desk.f.alice.id])
        let escaped = try await desk.command("show alice")
        #expect(escaped.object.string("text")?.contains("&lt;!channel&gt;") == true)
        #expect(escaped.object.string("text")?.contains("<!channel>") == false)
        try await desk.stop()
    }
}
