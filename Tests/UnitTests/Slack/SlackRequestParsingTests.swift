import Foundation
import Testing

@testable import MsgLib

/// What the relay reads from Slack's requests: events, forms, buttons, slash commands, mrkdwn, without I/O.
@Suite struct SlackRequestParsingTests {
    static func envelope(_ json: String) throws -> SlackEventEnvelope {
        try SlackEventEnvelope.parse(Array(json.utf8))
    }

    static func callback(_ event: String, id: String = "Ev0001", bot: String = "UBOT") -> String {
        #"{"type":"event_callback","event_id":"\#(id)","authorizations":[{"user_id":"\#(bot)","is_bot":true}],"event":\#(event)}"#
    }

    @Test func urlVerificationEchoesTheChallenge() throws {
        #expect(
            try Self.envelope(#"{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","token":"x"}"#)
                .disposition()
                == .challenge("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
        #expect(throws: SlackRequestError.self) { try Self.envelope(#"{"type":"url_verification"}"#).disposition() }
        #expect(throws: SlackRequestError.self) {
            try Self.envelope(#"{"type":"url_verification","challenge":"\#(String(repeating: "a", count: 300))"}"#).disposition()
        }
    }

    @Test func threadRepliesOfPeopleAreAcceptedAndEverythingElseIgnored() throws {
        let reply = #"{"type":"message","channel":"C1","user":"U2","text":"Hello &lt;you&gt;","ts":"2.000200","thread_ts":"1.000100"}"#
        #expect(try Self.envelope(Self.callback(reply)).disposition() == .accept(eventId: "Ev0001"))
        #expect(
            try Self.envelope(Self.callback(reply)).threadReply()
                == .success(SlackReplyEvent(slackUserId: "U2", channelId: "C1", threadTs: "1.000100", text: "Hello &lt;you&gt;", ts: "2.000200")))
        let broadcast = #"{"type":"message","subtype":"thread_broadcast","channel":"C1","user":"U2","text":"hi","ts":"2","thread_ts":"1"}"#
        #expect(try Self.envelope(Self.callback(broadcast)).disposition() == .accept(eventId: "Ev0001"))
        // A reply with a file: its text is taken, the file is not.
        let withFile =
            #"{"type":"message","subtype":"file_share","channel":"C1","user":"U2","text":"here is the fix","files":[{"id":"F1"}],"ts":"2","thread_ts":"1"}"#
        #expect(try Self.envelope(Self.callback(withFile)).disposition() == .accept(eventId: "Ev0001"))
        #expect(
            try Self.envelope(Self.callback(withFile)).threadReply()
                == .success(SlackReplyEvent(slackUserId: "U2", channelId: "C1", threadTs: "1", text: "here is the fix", ts: "2")))
        let ignored: [(String, SlackIgnoredEvent)] = [
            (
                #"{"type":"message","subtype":"bot_message","channel":"C1","bot_id":"B1","text":"x","ts":"2","thread_ts":"1"}"#,
                .subtype("bot_message")
            ),
            (#"{"type":"message","subtype":"message_changed","channel":"C1","message":{"text":"x"},"ts":"2"}"#, .subtype("message_changed")),
            (#"{"type":"message","subtype":"message_deleted","channel":"C1","ts":"2","thread_ts":"1"}"#, .subtype("message_deleted")),
            (#"{"type":"message","subtype":"channel_join","channel":"C1","user":"U2","text":"joined","ts":"2"}"#, .subtype("channel_join")),
            (#"{"type":"message","channel":"C1","user":"U2","bot_id":"B1","text":"x","ts":"2","thread_ts":"1"}"#, .fromBot),
            (#"{"type":"message","channel":"C1","user":"UBOT","text":"x","ts":"2","thread_ts":"1"}"#, .fromBot),
            (#"{"type":"message","channel":"C1","user":"U2","text":"top level","ts":"2"}"#, .notInThread),
            (#"{"type":"message","channel":"C1","user":"U2","text":"the parent","ts":"1","thread_ts":"1"}"#, .notInThread),
            (#"{"type":"message","channel":"C1","user":"U2","text":"","ts":"2","thread_ts":"1"}"#, .empty),
            (#"{"type":"message","channel":"C1","text":"x","ts":"2","thread_ts":"1"}"#, .noUser),
            (
                #"{"type":"message","subtype":"file_share","channel":"C1","user":"U2","text":"","files":[{"id":"F1"}],"ts":"2","thread_ts":"1"}"#,
                .filesOnly
            ),
            (#"{"type":"pin_added","user":"U2","channel_id":"C1"}"#, .notAMessage),
            // A field of another shape (channel_created's channel is an object) reads as absent: ignored, not refused.
            (#"{"type":"channel_created","channel":{"id":"C9","name":"x"}}"#, .notAMessage),
            (#"{"type":"message","channel":{"id":"C1"},"user":"U2","text":"x","ts":"2","thread_ts":"1"}"#, .notInThread),
        ]
        for (event, reason) in ignored {
            let envelope = try Self.envelope(Self.callback(event))
            #expect(envelope.threadReply() == .failure(reason), "\(event)")
            #expect(try envelope.disposition() == .ignore(reason.description))
        }
        #expect(try Self.envelope(#"{"type":"app_rate_limited","minute_rate_limited":1}"#).disposition() == .ignore("not an event: app_rate_limited"))
    }

    @Test func malformedEnvelopesAreRefused() {
        for body in ["", "null", "[]", "{}", #"{"type":5}"#, "{\"type\":\"event_callback\"", "\u{1}", #"{"type":"event_callback"}"#] {
            #expect(throws: SlackRequestError.self, "\(body)") { try Self.envelope(body).disposition() }
        }
        for id in ["", "Ev 1", "Ev\u{0}1", "Év1", String(repeating: "E", count: 256), "Ev'1;--"] {
            let json = Self.callback(#"{"type":"message"}"#, id: id.replacingOccurrences(of: "\u{0}", with: "\\u0000"))
            #expect(throws: SlackRequestError.self, "\(id)") { try Self.envelope(json).disposition() }
        }
        #expect(throws: SlackRequestError.self) { try SlackEventEnvelope.parse([0xFF, 0xFE, 0x7B]) }
    }

    @Test func mrkdwnBecomesPlainText() {
        let cases: [(String, String)] = [
            ("plain", "plain"),
            ("a &lt;b&gt; &amp; c", "a <b> & c"),
            ("&amp;lt; stays", "&lt; stays"),
            ("&amp;&amp;", "&&"),
            ("R&D &unknown; &", "R&D &unknown; &"),
            ("see <https://example.org/a?b=1&amp;c=2|the page>", "see the page (https://example.org/a?b=1&c=2)"),
            ("<https://example.org>", "https://example.org"),
            ("<https://example.org|https://example.org>", "https://example.org"),
            ("<mailto:a@example.org|a@example.org>", "a@example.org"),
            ("<mailto:a@example.org|Ann>", "Ann <a@example.org>"),
            ("hi <@U123> and <@U456|bob>", "hi @U123 and @bob"),
            ("in <#C123|general> and <#C9>", "in #general and #C9"),
            ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
            ("<!subteam^S123|@team>", "@team"),
            ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
            ("<!date^1392734382^{date}>", ""),
            ("an open < without end", "an open < without end"),
            ("<a|b &lt;c&gt;>", "b <c> (a)"),
            ("🙂 <https://x.example|👋>", "🙂 👋 (https://x.example)"),
        ]
        for (mrkdwn, text) in cases { #expect(SlackMrkdwn.plainText(mrkdwn) == text, "\(mrkdwn)") }
    }

    @Test func slackRepliesAreTrimmedAndCutToTheMessageLimit() {
        #expect(MessagingService.slackContent("  hi &amp; bye \n") == "hi & bye")
        #expect(MessagingService.slackContent(" \n ").isEmpty)
        let long = MessagingService.slackContent(String(repeating: "é", count: 12_000))
        #expect(long.unicodeScalars.count == Message.maximumLength && long.hasSuffix("…"))
        #expect(Message.isValidContent(long))
        let emoji = MessagingService.slackContent(String(repeating: "👨‍👩‍👧", count: 3000))
        #expect(emoji.unicodeScalars.count <= Message.maximumLength && emoji.hasSuffix("👨‍👩‍👧…"))
    }

    @Test func formBodiesDecode() throws {
        let form = try FormBody(Array("a=1&b=x+y%26z&c=&d&a=2&e=%E2%9C%93%0A".utf8))
        #expect(form["a"] == "1")
        #expect(form["b"] == "x y&z")
        #expect(form["c"] == "" && form["d"] == "")
        #expect(form["e"] == "✓\n")
        #expect(form["missing"] == nil)
        #expect(try FormBody([]).fields.isEmpty)
        #expect(throws: FormBodyError.badEscape) { try FormBody(Array("a=%2".utf8)) }
        #expect(throws: FormBodyError.badEscape) { try FormBody(Array("a=%zz".utf8)) }
        #expect(throws: FormBodyError.notUTF8) { try FormBody(Array("a=%FF".utf8)) }
        #expect(throws: FormBodyError.notUTF8) { try FormBody([0x61, 0x3D, 0xC3]) }
    }

    @Test func slashCommandsParse() {
        let cases: [(String, SlashCommand)] = [
            ("", .help),
            ("  help ", .help),
            ("HELP", .help),
            ("list", .list),
            ("list all", .usage(problem: "`list` takes no arguments.")),
            ("show bob", .show(user: "bob")),
            ("show @bob", .show(user: "bob")),
            ("show", .usage(problem: "`show` takes one user.")),
            ("show bob alice", .usage(problem: "`show` takes one user.")),
            ("reply bob Hello there\nsecond line ", .reply(user: "bob", text: "Hello there\nsecond line")),
            ("reply  @bob   hi", .reply(user: "bob", text: "hi")),
            ("reply bob", .usage(problem: "`reply` takes a user and the text to send.")),
            ("reply", .usage(problem: "`reply` takes a user and the text to send.")),
            ("search invoice march", .search(query: "invoice march")),
            ("search  ", .usage(problem: "`search` takes the words to look for.")),
            ("dance <!here>", .usage(problem: "Unknown subcommand `dance`.")),
            ("<!channel>", .usage(problem: "Unknown subcommand `&lt;!channel&gt;`.")),
        ]
        for (text, command) in cases { #expect(SlashCommand.parse(text) == command, "\(text)") }
        #expect(SlashCommand.usageText(command: "/m<sg>").contains("`/m&lt;sg&gt; list`"))
    }

    @Test func buttonClicksParse() throws {
        let id = UUID()
        func payload(_ action: String, value: String? = nil, type: String = "block_actions") -> String {
            let value = value.map { #","value":"\#($0)""# } ?? ""
            return
                #"{"type":"\#(type)","user":{"id":"U2","name":"ann"},"response_url":"https://hooks.slack.com/actions/T1/2/x","actions":[{"action_id":"\#(action)","type":"button"\#(value)}]}"#
        }
        let read = try SlackInteraction.parse(payload("mark_read", value: id.lowercasedString))
        #expect(
            read == SlackInteraction(slackUserId: "U2", action: .markRead, conversationId: id, responseURL: "https://hooks.slack.com/actions/T1/2/x"))
        #expect(try SlackInteraction.parse(payload("archive", value: id.lowercasedString)).action == .archive)
        #expect(try SlackInteraction.parse(payload("unarchive", value: id.lowercasedString)).action == .unarchive)
        #expect(try SlackInteraction.parse(payload("view")).conversationId == nil)
        // A click's trigger_id is kept whatever its shape within 255 visible ASCII characters (the same click sent again
        // is not carried out twice); beyond, or with spaces and controls, it is not.
        func click(trigger: String) throws -> String? {
            let text = #"{"type":"block_actions","trigger_id":"\#(trigger)","user":{"id":"U2"},"actions":[{"action_id":"view"}]}"#
            return try SlackInteraction.parse(text).triggerId
        }
        let long = "13345224609.738474920.8088930838d88f008e0" + String(repeating: "a", count: 40)
        #expect(try click(trigger: long) == long)
        #expect(try click(trigger: "a/b+c=") == "a/b+c=")
        #expect(try click(trigger: String(repeating: "x", count: 256)) == nil)
        #expect(try click(trigger: "a b") == nil)
        // The buttons the outbound side draws are the ones read here.
        #expect(
            [SlackParentMessage.markReadAction, SlackParentMessage.archiveAction, SlackParentMessage.unarchiveAction, SlackParentMessage.viewAction]
                .compactMap(SlackInteraction.Action.init(rawValue:)) == [.markRead, .archive, .unarchive, .view])
        for bad in [
            payload("mark_read"), payload("mark_read", value: "not-a-uuid"), payload("launch", value: id.lowercasedString),
            payload("archive", value: id.lowercasedString, type: "view_submission"), "{", "[]", #"{"type":"block_actions","user":{"id":"U2"}}"#,
            #"{"type":"block_actions","user":{"id":"U 2"},"actions":[{"action_id":"view"}]}"#,
        ] {
            #expect(throws: SlackRequestError.self, "\(bad)") { try SlackInteraction.parse(bad) }
        }
    }

    @Test func responseURLsGoOnlyToSlackOrTheConfiguredAPIHost() {
        let policy = SlackResponseURLPolicy(apiBase: "http://127.0.0.1:4567/api")
        #expect(policy.allows("https://hooks.slack.com/actions/T1/2/abc"))
        #expect(policy.allows("https://hooks.slack.com/commands/T1/2/abc"))
        #expect(policy.allows("http://127.0.0.1:4567/response/1"))
        for url in [
            "http://hooks.slack.com/actions/T1/2/abc", "https://hooks.slack.com.evil.example/actions/x", "https://evil.example/actions/x",
            "https://user@hooks.slack.com/actions/x", "https://hooks.slack.com:8443/actions/x", "https://hooks.slack.com/services/x",
            "http://127.0.0.1:4568/response/1", "http://localhost:4567/response/1", "https://127.0.0.1:4567/x", "file:///etc/passwd",
            "http://169.254.169.254/latest/meta-data", "", "https://hooks.slack.com/actions/x y", String(repeating: "a", count: 3000),
        ] {
            #expect(!policy.allows(url), "\(url)")
        }
        #expect(!SlackResponseURLPolicy(apiBase: "https://slack.com/api").allows("https://slack.com.example/x"))
    }

    @Test func answersEscapeWhatUsersWrote() {
        let user = User(id: UUID(), username: "eve<!channel>", displayName: "*Eve* & co", slug: "eve", isAdmin: false, createdAt: .now())
        #expect(SlashCommandAnswer.sent(to: user) == "Sent to **Eve* &amp; co* (eve&lt;!channel&gt;).")
        #expect(SlashCommandAnswer.refused(ServiceError(.notFound, "no user \"<@U1>\"")) == "no user \"&lt;@U1&gt;\"")
        #expect(SlashCommandAnswer.search(query: "<x>", hits: [], total: SearchTotal(count: 0)) == "No messages match _&lt;x&gt;_.")
        #expect(SlashCommandAnswer.list([], total: 0) == "No unread conversations.")
    }
}
