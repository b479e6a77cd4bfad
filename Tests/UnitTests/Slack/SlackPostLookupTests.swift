import Foundation
import Testing

@testable import MsgLib

/// Finding a post whose answer was lost: the request asked for and every kind of answer read, hostile ones included.
@Suite struct SlackPostLookupTests {
    static let message = UUID(uuidString: "0190f4c2-0000-7000-8000-000000000001")!
    static let api = SlackWebAPI(configuration: SlackAppConfiguration(botToken: "xoxb-t", signingSecret: "s", channelId: "C0INBOX"))

    func lookup(thread: String? = nil) -> SlackPostLookup {
        SlackPostLookup(
            channelId: "C0INBOX", threadTs: thread, messageId: Self.message, written: Timestamp(microsecondsSinceEpoch: 1_712_345_678_000_042))
    }

    func answer(_ object: Any, status: Int = 200) -> Result<HTTPClient.Response, HTTPClientError> {
        .success(HTTPClient.Response(status: status, body: Array(try! JSONSerialization.data(withJSONObject: object))))
    }

    func posted(_ ts: Any, id: Any = message.lowercasedString, type: Any = "msgrelay_message") -> [String: Any] {
        ["type": "message", "ts": ts, "metadata": ["event_type": type, "event_payload": ["message_id": id]]]
    }

    @Test func theRequestAsksForTheMetadataSinceALittleBeforeTheMessage() throws {
        let history = lookup().request(Self.api, page: SlackPostLookup.Page())
        #expect(history.url == "https://slack.com/api/conversations.history")
        #expect(history.headers.contains { $0.name == "Content-Type" && $0.value == "application/x-www-form-urlencoded" })
        #expect(history.headers.contains { $0.name == "Authorization" && $0.value == "Bearer xoxb-t" })
        let fields = try FormBody(history.body)
        #expect(fields["channel"] == "C0INBOX" && fields["include_all_metadata"] == "true" && fields["limit"] == "100")
        #expect(fields["oldest"] == "1712345378.000042")
        #expect(fields["ts"] == nil && fields["cursor"] == nil)
        let replies = lookup(thread: "1712345000.000100").request(Self.api, page: SlackPostLookup.Page(cursor: "dXNlcjpV+/="))
        #expect(replies.url == "https://slack.com/api/conversations.replies")
        let form = try FormBody(replies.body)
        #expect(form["ts"] == "1712345000.000100" && form["cursor"] == "dXNlcjpV+/=")
    }

    @Test func theMessagesPostIsFoundByItsIdAlone() {
        let others: [Any] = [
            ["type": "message", "ts": "1.1"], posted("1.2", id: UUID().uuidString.lowercased()), posted("1.3", type: "other_app"),
            posted("1.4", id: 42), ["ts": "1.5", "metadata": "not an object"], posted(7), posted("1.6\u{1b}[2J"),
        ]
        #expect(lookup().read(answer(["ok": true, "messages": others + [posted("1.7")]])) == .found(ts: "1.7"))
        #expect(lookup().read(answer(["ok": true, "messages": others])) == .absent)
        #expect(lookup().read(answer(["ok": true, "messages": "none"])) == .absent)
        // The outbox records what was found as what the post would have made.
        let conversation = UUID()
        guard case .threadStarted(let thread) = lookup().outcome(ts: "1.7", conversationId: conversation) else {
            Issue.record("not a thread")
            return
        }
        #expect(thread.threadTs == "1.7" && thread.parentTs == "1.7" && thread.channelId == "C0INBOX" && thread.parentMessageId == Self.message)
        #expect(
            lookup(thread: "1.0").outcome(ts: "1.8", conversationId: conversation)
                == .posted(SlackMessagePost(messageId: Self.message, channelId: "C0INBOX", ts: "1.8")))
    }

    @Test func furtherPagesAreFollowedWhileTheCursorIsSane() {
        let more: [String: Any] = ["ok": true, "messages": [], "has_more": true, "response_metadata": ["next_cursor": "bmV4dA=="]]
        #expect(lookup().read(answer(more)) == .next(cursor: "bmV4dA=="))
        for cursor: Any in ["", String(repeating: "x", count: 513), "a b", "a\nb", 12] {
            #expect(lookup().read(answer(["ok": true, "has_more": true, "response_metadata": ["next_cursor": cursor]])) == .absent)
        }
        #expect(lookup().read(answer(["ok": true, "has_more": false, "response_metadata": ["next_cursor": "x"]])) == .absent)
    }

    @Test func aPageTooLargeIsReadAgainInSmallerPagesWithinTheLimits() throws {
        let first = SlackPostLookup.Page()
        #expect(try FormBody(lookup().request(Self.api, page: first).body)["limit"] == "100")
        // Too large: the same page again, a tenth the size, then one message; one message too large ends the lookup.
        let smaller = try #require(first.after(.tooLarge))
        #expect(smaller.cursor == nil && smaller.size == 10 && smaller.covered == 0 && smaller.requests == 1)
        let form = try FormBody(lookup().request(Self.api, page: smaller).body)
        #expect(form["limit"] == "10" && form["cursor"] == nil)
        let single = try #require(smaller.after(.tooLarge))
        #expect(single.size == 1)
        #expect(single.after(.tooLarge) == nil)
        // The next page keeps the smaller size, from the cursor given.
        let next = try #require(smaller.after(.next(cursor: "c2")))
        #expect(next.cursor == "c2" && next.size == 10 && next.covered == 10 && next.requests == 2)
        #expect(try FormBody(lookup().request(Self.api, page: next).body)["cursor"] == "c2")
        // Found, absent or retried: no page follows.
        for step: SlackPostLookup.Step in [.found(ts: "1.1"), .absent, .retry(.retry("x", retryAfter: nil))] { #expect(first.after(step) == nil) }
        // 1,000 messages at most, in 30 requests at most.
        var full: SlackPostLookup.Page? = first
        var pages = 0
        while let page = full {
            pages += 1
            full = page.after(.next(cursor: "p\(pages)"))
        }
        #expect(pages == SlackPostLookup.messageLimit / 100)
        var small: SlackPostLookup.Page? = single
        pages = 0
        while let page = small {
            pages += 1
            small = page.after(.next(cursor: "p\(pages)"))
        }
        #expect(pages == SlackPostLookup.requestLimit - 2)
    }

    @Test func slackUnableToAnswerIsRetriedAndARefusalPosts() {
        guard case .retry(.retry(let reason, let after)) = lookup().read(answer(["ok": false, "error": "ratelimited"], status: 429)) else {
            Issue.record("not retried")
            return
        }
        #expect(reason.hasPrefix("looking for an earlier post: ") && after == nil)
        #expect(lookup().read(answer(["ok": false, "error": "internal_error"])).isRetry)
        #expect(lookup().read(.success(HTTPClient.Response(status: 502, body: Array("<html>".utf8)))).isRetry)
        #expect(lookup().read(.success(HTTPClient.Response(status: 200, body: Array("not json".utf8)))).isRetry)
        #expect(lookup().read(.failure(HTTPClientError(.timeout, "no answer"))).isRetry)
        // A page too large to read whole would be so at every attempt: it is read in smaller pages (below).
        #expect(lookup().read(.success(HTTPClient.Response(status: 200, body: Array(#"{"ok":true,"messa"#.utf8), bodyTruncated: true))) == .tooLarge)
        for refusal in ["missing_scope", "not_in_channel", "channel_not_found", "thread_not_found"] {
            #expect(lookup().read(answer(["ok": false, "error": refusal])) == .absent)
        }
    }
}

extension SlackPostLookup.Step {
    fileprivate var isRetry: Bool {
        if case .retry(.retry(_, _)) = self { return true }
        return false
    }
}
