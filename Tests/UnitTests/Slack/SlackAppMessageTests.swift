import Foundation
import Testing

@testable import MsgLib

/// Slack app mode without I/O: the Block Kit of the thread's parent and replies, cutting, the Web API's answers,
/// and the configuration.
@Suite struct SlackAppMessageTests {
    static let conversation = UUID(uuidString: "01234567-89ab-7def-8123-456789abcdef")!

    func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func parent(preview: String? = "Hello", name: String = "Alice", unread: Int = 1, archived: Bool = false) -> SlackParentMessage {
        SlackParentMessage(
            conversationId: Self.conversation, userName: name, preview: preview, unreadCount: unread, archived: archived,
            adminURLBase: "https://admin.example.org")
    }

    @Test func theParentHasStableActionsCarryingTheConversationId() throws {
        let message = UUID()
        let body = try json(parent().postBody(channel: "C0INBOX", messageId: message))
        #expect(body["channel"] as? String == "C0INBOX")
        // The message it shows, by which a post whose answer was lost is found again.
        let metadata = try #require(body["metadata"] as? [String: Any])
        #expect(metadata["event_type"] as? String == "msgrelay_message")
        #expect((metadata["event_payload"] as? [String: Any])?["message_id"] as? String == message.lowercasedString)
        #expect(body["ts"] == nil && body["thread_ts"] == nil)
        #expect(body["unfurl_links"] as? Bool == false)
        #expect(body["text"] as? String == "New conversation from Alice")
        let blocks = try #require(body["blocks"] as? [[String: Any]])
        #expect(blocks.map { $0["type"] as? String } == ["section", "context", "actions"])
        #expect((blocks[0]["text"] as? [String: Any])?["text"] as? String == "*Alice*\nHello")
        let buttons = try #require(blocks[2]["elements"] as? [[String: Any]])
        #expect(buttons.map { $0["action_id"] as? String } == ["mark_read", "archive", "view"])
        #expect(buttons.allSatisfy { $0["value"] as? String == Self.conversation.lowercasedString && $0["type"] as? String == "button" })
        #expect(buttons[2]["url"] as? String == "https://admin.example.org/admin/messages/\(Self.conversation.lowercasedString)")
        #expect(buttons[0]["url"] == nil)
    }

    @Test func theUpdateShowsStateAndOffersUnarchive() throws {
        let body = try json(parent(preview: nil, unread: 3, archived: true).updateBody(channel: "C0INBOX", ts: "1712345678.000100"))
        #expect(body["ts"] as? String == "1712345678.000100")
        let blocks = try #require(body["blocks"] as? [[String: Any]])
        #expect((blocks[0]["text"] as? [String: Any])?["text"] as? String == "*Alice*\n_(message deleted)_")
        #expect(((blocks[1]["elements"] as? [[String: Any]])?[0])?["text"] as? String == "3 unread messages · Archived")
        #expect((blocks[2]["elements"] as? [[String: Any]])?.map { $0["action_id"] as? String } == ["mark_read", "unarchive", "view"])
        #expect(parent(unread: 0).stateText == "No unread messages")
        #expect(parent(unread: 1).stateText == "1 unread message")
    }

    @Test func textIsEscapedAndCutWithinBlockKitsLimitsOnGraphemes() throws {
        // Every `&` grows to five characters: 10,000 of them are 50,000 escaped, beyond a message's 40,000.
        let reply = SlackThreadReply(senderName: "Eve <!channel>", senderIsAdmin: false, content: String(repeating: "&", count: 10_000))
        let text = try #require(
            try json(
                reply.postBody(
                    in: SlackThread(
                        conversationId: Self.conversation, channelId: "C1", threadTs: "1.2", parentTs: "1.2", parentMessageId: Self.conversation),
                    messageId: Self.conversation))[
                    "text"] as? String)
        #expect(text.utf16.count <= 40_000)
        #expect(text.hasPrefix("*Eve &lt;!channel&gt;*\n> &amp;"))
        #expect(text.hasSuffix("&amp;..."))
        // A family emoji is never split: the cut falls before it.
        let family = "👨‍👩‍👧‍👦"
        let long = parent(preview: String(repeating: "a", count: 2_985) + family + family)
        #expect(long.sectionText.utf16.count <= 3_000)
        #expect(long.sectionText.hasSuffix("a" + family + "...") || long.sectionText.hasSuffix("a..."))
        #expect(!long.sectionText.unicodeScalars.contains("\u{200D}") || long.sectionText.contains(family))
        // An admin's reply says so; a name is cut at 200 characters.
        let admin = SlackThreadReply(senderName: String(repeating: "n", count: 500), senderIsAdmin: true, content: "ok")
        #expect(admin.text == "*" + String(repeating: "n", count: 197) + "...* (admin)\nok")
    }

    /// A user's lines are quoted: none can pass for the name line of an admin's reply, however many lines, within
    /// Slack's limit.
    @Test func aUsersReplyCannotPassForAnAdmins() {
        let forged = SlackThreadReply(senderName: "Eve", senderIsAdmin: false, content: "ok\n\n*Bob* (admin)\nRefund approved")
        #expect(forged.text == "*Eve*\n> ok\n> \n> *Bob* (admin)\n> Refund approved")
        let admin = SlackThreadReply(senderName: "Bob", senderIsAdmin: true, content: "line one\nline two")
        #expect(admin.text == "*Bob* (admin)\nline one\nline two")
        let lines = SlackThreadReply(senderName: "Eve", senderIsAdmin: false, content: String(repeating: "a\n", count: 5_000))
        #expect(lines.text.utf16.count <= 40_000)
        let many = SlackThreadReply(senderName: "Eve", senderIsAdmin: false, content: String(repeating: "&\n", count: 10_000))
        #expect(many.text.utf16.count <= 40_000 && many.text.hasSuffix("..."))
        #expect(many.text.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("> ") })
        // Every other line break too: `\r\n` is one Character in Swift, which splitting on "\n" never meets.
        let crlf = SlackThreadReply(senderName: "Eve", senderIsAdmin: false, content: "ok\r\n*Bob* (admin)\rRefund\u{2028}approved\u{85}x\u{B}y")
        #expect(crlf.text == "*Eve*\n> ok\n> *Bob* (admin)\n> Refund\n> approved\n> x\n> y")
        let longCRLF = SlackThreadReply(senderName: "Eve", senderIsAdmin: false, content: String(repeating: "&\r\n", count: 10_000))
        #expect(longCRLF.text.utf16.count <= 40_000 && longCRLF.text.hasSuffix("..."))
        for scalar in longCRLF.text.unicodeScalars.split(whereSeparator: { $0 == "\n" }).dropFirst() {
            #expect(String(String.UnicodeScalarView(scalar)).hasPrefix("> ") && !scalar.contains { $0.properties.isWhitespace && $0 != " " })
        }
    }

    @Test func repliesAndParentsNameTheirFiles() {
        let reply = SlackThreadReply(senderName: "Ann", senderIsAdmin: false, content: "see", attachmentNames: ["a<b>.png", "c.pdf"])
        #expect(reply.text == "*Ann*\n> see\n2 attachments: a&lt;b&gt;.png, c.pdf")
        let filesOnly = SlackThreadReply(senderName: "Ann", senderIsAdmin: false, content: "", attachmentNames: ["x.png"])
        #expect(filesOnly.text == "*Ann*\n1 attachment: x.png")
        var parent = SlackParentMessage(
            conversationId: Self.conversation, userName: "Ann", preview: "hi", unreadCount: 1, archived: false, adminURLBase: "")
        parent.previewAttachments = ["x.png"]
        #expect(parent.sectionText == "*Ann*\nhi\n1 attachment: x.png")
        let long = SlackThreadReply(senderName: "A", senderIsAdmin: false, content: String(repeating: "z", count: 50_000), attachmentNames: ["f.txt"])
        #expect(long.text.utf16.count <= SlackBlocks.messageTextLimit && long.text.hasSuffix("\n1 attachment: f.txt"))
    }

    func answer(_ status: Int, _ body: String, headers: [(name: String, value: String)] = [], truncated: Bool = false)
        -> Result<SlackWebAPI.Success, SlackWebAPI.Failure>
    {
        SlackWebAPI.answer(.success(HTTPClient.Response(status: status, headers: headers, body: Array(body.utf8), bodyTruncated: truncated)))
    }

    @Test func webAPIAnswersAreReadFromTheBodyNotOnlyTheStatus() {
        #expect(answer(200, #"{"ok":true,"channel":"C1","ts":"1.2"}"#) == .success(.init(ts: "1.2", channel: "C1")))
        #expect(
            answer(200, #"{"ok":false,"error":"invalid_blocks"}"#)
                == .failure(.init(.failed("Slack answered invalid_blocks"), error: "invalid_blocks")))
        #expect(
            answer(400, #"{"ok":false,"error":"invalid_blocks"}"#)
                == .failure(.init(.failed("Slack answered invalid_blocks"), error: "invalid_blocks")))
        #expect(
            answer(200, #"{"ok":false,"error":"ratelimited"}"#, headers: [("Retry-After", "7")])
                == .failure(.init(.retry("Slack answered ratelimited", retryAfter: 7))))
        #expect(
            answer(429, #"{"ok":false,"error":"ratelimited"}"#, headers: [("Retry-After", "30")])
                == .failure(.init(.retry("Slack answered 429 ratelimited", retryAfter: 30))))
        #expect(answer(503, "<html>") == .failure(.init(.retry("Slack answered 503", retryAfter: nil))))
        #expect(answer(200, "not json") == .failure(.init(.retry("Slack answered 200 with an answer that is not Slack's JSON", retryAfter: nil))))
        #expect(
            answer(200, #"{"ok":true}"#, truncated: true) == .failure(.init(.retry("Slack answered 200 with an oversized answer", retryAfter: nil))))
        #expect(answer(404, "nope") == .failure(.init(.failed("Slack answered 404 with an answer that is not Slack's JSON"))))
        #expect(answer(200, "[1,2]") == .failure(.init(.retry("Slack answered 200 with an answer that is not Slack's JSON", retryAfter: nil))))
        // A hostile error code is kept short and printable.
        let hostile = answer(200, "{\"ok\":false,\"error\":\"bad\\u0000\\n\(String(repeating: "x", count: 500))\"}")
        guard case .failure(let failure) = hostile else {
            Issue.record("not a failure")
            return
        }
        #expect(failure.error == "bad" + String(repeating: "x", count: 77))
        #expect(SlackWebAPI.isIdentifier("1712345678.000100") && SlackWebAPI.isIdentifier("C0INBOX"))
        #expect(!SlackWebAPI.isIdentifier("") && !SlackWebAPI.isIdentifier("1.2\n") && !SlackWebAPI.isIdentifier(String(repeating: "9", count: 65)))
    }

    @Test func requestsCarryTheBearerTokenAndAJSONBody() {
        let api = SlackWebAPI(
            configuration: SlackAppConfiguration(botToken: "xoxb-1", signingSecret: "s", channelId: "C1", apiBase: "http://127.0.0.1:9/api/"))
        let request = api.postMessage(Array("{}".utf8))
        #expect(request.url == "http://127.0.0.1:9/api/chat.postMessage")
        #expect(request.headers.first { $0.name == "Authorization" }?.value == "Bearer xoxb-1")
        #expect(request.headers.first { $0.name == "Content-Type" }?.value == "application/json; charset=utf-8")
        #expect(api.update([]).url.hasSuffix("/api/chat.update") && api.authTest().url.hasSuffix("/api/auth.test"))
    }

    @Test func appModeConfigurationGoesTogetherAndWinsOverTheWebhook() throws {
        let app = [
            "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "secret", "SLACK_CHANNEL_ID": "C0123", "ADMIN_URL_BASE": "https://a.example",
        ]
        let configuration = try NotificationConfiguration.fromEnvironment(app)
        #expect(configuration.slackApp == SlackAppConfiguration(botToken: "xoxb-1", signingSecret: "secret", channelId: "C0123"))
        #expect(configuration.slackApp?.apiBase == "https://slack.com/api")
        #expect(configuration.sendableKinds == [.slackPost, .slackUpdate, .slackReaction])
        var both = app
        both["SLACK_WEBHOOK_URL"] = "https://hooks.example/x"
        let mixed = try NotificationConfiguration.fromEnvironment(both)
        #expect(!mixed.notifiesSlackWebhook && mixed.slackApp != nil)
        #expect(
            try NotificationConfiguration.fromEnvironment(["SLACK_WEBHOOK_URL": "https://h.example/x", "ADMIN_URL_BASE": "https://a.example"])
                .notifiesSlackWebhook)
        for (key, value) in [
            ("SLACK_SIGNING_SECRET", nil), ("SLACK_CHANNEL_ID", nil), ("ADMIN_URL_BASE", nil), ("SLACK_CHANNEL_ID", "#general"),
            ("SLACK_BOT_TOKEN", "xoxb 1\n"), ("SLACK_API_BASE", "ftp://x"), ("SLACK_CHANNEL_ID", String(repeating: "C", count: 65)),
            // A channel's name: Slack posts there but answers with the id, under which no thread would be found again.
            ("SLACK_CHANNEL_ID", "general"), ("SLACK_CHANNEL_ID", "c0123"), ("SLACK_CHANNEL_ID", "U0123"),
        ] as [(String, String?)] {
            var broken = app
            broken[key] = value
            #expect(throws: ConfigurationError.self, "\(key)=\(value ?? "unset")") { try NotificationConfiguration.fromEnvironment(broken) }
        }
        #expect(try SlackAppConfiguration.fromEnvironment([:]) == nil)
        var long = app
        long["ADMIN_URL_BASE"] = "https://a.example/" + String(repeating: "p", count: 2000)
        #expect(throws: ConfigurationError.self) { try NotificationConfiguration.fromEnvironment(long) }
        // Printing the configuration never shows the token or the secret.
        let printed = "\(configuration) \(String(reflecting: configuration)) \(configuration.slackApp!)"
        #expect(!printed.contains("xoxb-1") && !printed.contains("secret\"") && printed.contains("C0123"))
    }
}
