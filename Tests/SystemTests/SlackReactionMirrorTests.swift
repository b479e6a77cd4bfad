import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Slack app mode mirrors reactions both ways: reactions in the product reach the Slack posts of their messages as
/// the bot's `reactions.add` / `reactions.remove`; reactions of linked admins in Slack become theirs in the product.
/// Real relays and PostgreSQL, a fake Slack, signed events.
@Suite(.needsProcesses, .processSlot) struct SlackReactionMirrorTests {
    typealias Desk = SlackInboundTests.Desk

    static func path(_ messageId: String, _ emoji: String) -> String {
        "/api/messages/\(messageId)/reactions/" + emoji.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    }

    /// A reaction event by `user` on the Slack message `ts` of the desk's channel.
    static func reaction(_ name: String, ts: String, user: String = SlackInboundTests.adminSlackUser, added: Bool = true) -> [String: Any] {
        [
            "type": added ? "reaction_added" : "reaction_removed", "user": user, "reaction": name, "item_user": "UOTHER0001",
            "item": ["type": "message", "channel": SlackRequests.channel, "ts": ts], "event_ts": "1800000001.000100",
        ]
    }

    /// The id of Alice's first message (the thread's parent).
    static func parentMessageId(_ desk: Desk) throws -> String {
        try desk.db.scalar("SELECT id FROM messages WHERE sender_id = $1 ORDER BY id LIMIT 1", [desk.f.alice.id], as: UUID.self).lowercasedString
    }

    /// Waits until inbox event `id` is handled; its state and reason.
    static func handled(_ desk: Desk, _ id: String) async throws -> (state: String, reason: String?) {
        try await waitFor("event \(id) to be handled") {
            try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE event_id = $1 AND state <> 'pending'", [id], as: Int.self) == 1
        }
        let row = try desk.db.query("SELECT state, last_error FROM slack_inbox WHERE event_id = $1", [id])[0]
        return (try row.decode(0), try row.decode(1))
    }

    /// `[emoji: users]` of a message as the admin lists it over REST.
    static func reactions(_ desk: Desk, _ messageId: String) async throws -> [String: [String]] {
        let answer = try await desk.relay.request(
            "GET", "/api/conversations/\(desk.conversationId)/messages", token: desk.relay.token(desk.f.admin))
        let message = answer.object.array("messages").first { $0["id"] as? String == messageId }
        var out: [String: [String]] = [:]
        for item in (message?["reactions"] as? [[String: Any]]) ?? [] {
            if let emoji = item["emoji"] as? String { out[emoji] = item["users"] as? [String] ?? [] }
        }
        return out
    }

    /// Waits until no job waits in the outbox (given up ones aside).
    static func settle(_ desk: Desk) async throws {
        try await waitFor("the outbox to be sent") {
            try desk.db.scalar("SELECT count(*) FROM notification_outbox WHERE failed_at IS NULL", as: Int.self) == 0
        }
    }

    /// The reaction calls Slack got after the first `skip`: method, name, timestamp.
    static func reactionCalls(_ slack: FakeSlack, after skip: Int = 0) -> [String] {
        slack.calls.filter { $0.method.hasPrefix("reactions.") }.dropFirst(skip).map {
            "\($0.method) \($0.string("name") ?? "-") \($0.string("timestamp") ?? "-")"
        }
    }

    @Test func reactionsInTheProductReachTheRightSlackPosts() async throws {
        let desk = try await Desk.start()
        let (relay, slack, f) = (desk.relay, desk.slack, desk.f)
        let parentId = try Self.parentMessageId(desk)
        let parentTs = desk.threadTs
        #expect(try desk.db.scalar("SELECT ts FROM slack_posts WHERE message_id = $1", [UUID(uuidString: parentId)!], as: String.self) == parentTs)

        // The admin's 👍 on Alice's message: reactions.add on the thread's parent.
        #expect(try await relay.request("PUT", Self.path(parentId, "👍"), token: relay.token(f.admin)).status == 200)
        let add = try await slack.waitForCalls("reactions.add", count: 1)[0]
        #expect(add.header("Authorization") == "Bearer xoxb-test-token")
        #expect(add.header("Content-Type") == "application/json; charset=utf-8")
        #expect(add.string("channel") == SlackRequests.channel)
        #expect(add.string("timestamp") == parentTs)
        #expect(add.string("name") == "+1")
        try await Self.settle(desk)

        // The admin's reply is posted in the thread and recorded; Alice's 🎉 and 👍🏽 on it reach that post.
        let reply = try await relay.request(
            "POST", "/api/messages", token: relay.token(f.admin), json: ["content": "On it", "conversation_id": desk.conversationId])
        #expect(reply.status == 201, "\(reply.text)")
        let replyId = try #require(reply.object.string("id"))
        let replyTs = try #require(try await slack.waitForCalls("chat.postMessage", count: 2)[1].answerTs)
        try await waitFor("the reply's post to be recorded") {
            try desk.db.scalar("SELECT count(*) FROM slack_posts WHERE ts = $1", [replyTs], as: Int.self) == 1
        }
        #expect(try await relay.request("PUT", Self.path(replyId, "🎉"), token: relay.token(f.alice)).status == 200)
        #expect(try await relay.request("PUT", Self.path(replyId, "👍🏽"), token: relay.token(f.alice)).status == 200)
        try await slack.waitForCalls("reactions.add", count: 3)
        try await Self.settle(desk)
        #expect(Self.reactionCalls(slack, after: 1) == ["reactions.add tada \(replyTs)", "reactions.add +1::skin-tone-4 \(replyTs)"])

        // The bot's reaction stands for everyone's: a second 👍 changes nothing in Slack, removing the last removes it.
        #expect(try await relay.request("PUT", Self.path(parentId, "👍"), token: relay.token(f.alice)).status == 200)
        #expect(try await relay.request("DELETE", Self.path(parentId, "👍"), token: relay.token(f.admin)).status == 200)
        #expect(try await relay.request("DELETE", Self.path(parentId, "👍"), token: relay.token(f.alice)).status == 200)
        try await slack.waitForCalls("reactions.remove", count: 1)
        try await Self.settle(desk)
        #expect(Self.reactionCalls(slack, after: 3) == ["reactions.remove +1 \(parentTs)"])

        // An emoji outside the table is not mirrored; Slack's already_reacted and no_reaction count as done.
        #expect(try await relay.request("PUT", Self.path(parentId, "🦜"), token: relay.token(f.admin)).status == 200)
        slack.fail(.error("already_reacted"))
        #expect(try await relay.request("PUT", Self.path(parentId, "🔥"), token: relay.token(f.admin)).status == 200)
        try await slack.waitForCalls("reactions.add", count: 4)
        try await Self.settle(desk)
        slack.fail(.error("no_reaction"))
        #expect(try await relay.request("DELETE", Self.path(parentId, "🔥"), token: relay.token(f.admin)).status == 200)
        try await slack.waitForCalls("reactions.remove", count: 2)
        try await Self.settle(desk)
        #expect(Self.reactionCalls(slack, after: 4) == ["reactions.add fire \(parentTs)", "reactions.remove fire \(parentTs)"])
        #expect(slack.calls.filter { $0.method.hasPrefix("reactions.") }.suffix(2).allSatisfy { $0.failed })
        #expect(try desk.db.scalar("SELECT count(*) FROM notification_outbox", as: Int.self) == 0)

        // Other errors are given up like other Web API jobs, with Slack's error as the reason; a 429 is retried.
        slack.fail(.rateLimited(retryAfter: 1))
        #expect(try await relay.request("PUT", Self.path(replyId, "🚀"), token: relay.token(f.admin)).status == 200)
        try await slack.waitForCalls("reactions.add", count: 6)
        try await Self.settle(desk)
        slack.fail(.error("message_not_found"))
        #expect(try await relay.request("PUT", Self.path(replyId, "👀"), token: relay.token(f.admin)).status == 200)
        try await desk.app.waitForGivenUp(1)
        #expect(
            try desk.db.scalar("SELECT last_error FROM notification_outbox WHERE failed_at IS NOT NULL", as: String.self)
                == "Slack answered message_not_found")
        try await desk.stop()
    }

    @Test func reactionsOfLinkedAdminsInSlackBecomeTheirsAndAreNotSentBack() async throws {
        let desk = try await Desk.start()
        let (relay, slack, f) = (desk.relay, desk.slack, desk.f)
        let parentId = try Self.parentMessageId(desk)
        let socket = try await desk.aliceSocket()

        #expect(try await desk.event("EvReact1", Self.reaction("thumbsup", ts: desk.threadTs)).status == 200)
        let change = try await socket.next { $0.type == "reaction_changed" && $0.data["emoji"] as? String == "👍" }
        #expect(change.data["message_id"] as? String == parentId)
        #expect(change.data["user_id"] as? String == f.admin.id.lowercasedString)
        #expect(change.data["added"] as? Bool == true)
        #expect(try await Self.handled(desk, "EvReact1").state == "done")
        #expect(try await Self.reactions(desk, parentId) == ["👍": [f.admin.id.lowercasedString]])

        // A skin tone, and a reaction on a reply written in Slack.
        #expect(try await desk.event("EvReply1", desk.reply("Checking", ts: "1800000000.000300")).status == 200)
        let written = try await socket.next(type: "message")
        let writtenId = try #require(written.data["id"] as? String)
        #expect(try await desk.event("EvReact2", Self.reaction("pray::skin-tone-3", ts: "1800000000.000300")).status == 200)
        let pray = try await socket.next { $0.type == "reaction_changed" && $0.data["message_id"] as? String == writtenId }
        #expect(pray.data["emoji"] as? String == "🙏🏼")

        // Removed in Slack: removed in the product.
        #expect(try await desk.event("EvReact3", Self.reaction("+1", ts: desk.threadTs, added: false)).status == 200)
        let removed = try await socket.next {
            $0.type == "reaction_changed" && $0.data["emoji"] as? String == "👍" && $0.data["added"] as? Bool == false
        }
        #expect(removed.data["count"] as? Int == 0)
        #expect(try await Self.reactions(desk, parentId).isEmpty)

        // Ignored, with the reason: an unlinked Slack user, a name outside the table, a message that is not a conversation's,
        // a second add of the same reaction.
        let ignored: [(String, [String: Any], String)] = [
            ("EvIgn1", Self.reaction("tada", ts: desk.threadTs, user: SlackInboundTests.strangerSlackUser), "not linked"),
            ("EvIgn2", Self.reaction("partyparrot", ts: desk.threadTs), "no emoji the product mirrors"),
            ("EvIgn3", Self.reaction("tada", ts: "1799999999.000001"), "not a conversation's"),
        ]
        for (id, event, reason) in ignored {
            #expect(try await desk.event(id, event).status == 200)
            // A reaction on a post not known yet waits a while for it (its reply may not be handled yet): aged here.
            if id == "EvIgn3" {
                try await waitFor("\(id) to wait for its post") {
                    try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE event_id = $1 AND last_error IS NOT NULL", [id], as: Int.self) == 1
                }
                try desk.db.query("UPDATE slack_inbox SET received_at = now() - interval '1 minute', available_at = now() WHERE event_id = $1", [id])
            }
            let outcome = try await Self.handled(desk, id)
            #expect(outcome.state == "ignored", "\(id)")
            #expect(outcome.reason?.contains(reason) == true, "\(id): \(outcome.reason ?? "")")
        }
        // The app's own reactions (what reactions.add makes Slack send back) are not even stored.
        #expect(try await desk.event("EvBot", Self.reaction("tada", ts: desk.threadTs, user: SlackRequests.botUser)).status == 200)
        #expect(try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE event_id = 'EvBot'", as: Int.self) == 0)
        #expect(try await Self.reactions(desk, parentId).isEmpty)

        // None of it went back to Slack: the first reaction call is the one of a reaction made in the product afterwards
        // (a conversation's Slack jobs leave in order).
        #expect(try await relay.request("PUT", Self.path(parentId, "🚀"), token: relay.token(f.admin)).status == 200)
        let calls = try await slack.waitForCalls("reactions.add", count: 1)
        #expect(calls.map { $0.string("name") } == ["rocket"])
        #expect(slack.calls("reactions.remove").isEmpty)
        #expect(try desk.db.scalar("SELECT count(*) FROM message_reactions WHERE from_slack", as: Int.self) == 1)
        // The linked admin adds the same reaction in Slack (nothing changes), then removes theirs: the reaction made in
        // the product, which the bot's stands for, stays, and so does the bot's.
        #expect(try await desk.event("EvRocket1", Self.reaction("rocket", ts: desk.threadTs)).status == 200)
        #expect(try await Self.handled(desk, "EvRocket1").state == "ignored")
        #expect(try await desk.event("EvRocket2", Self.reaction("rocket", ts: desk.threadTs, added: false)).status == 200)
        let kept = try await Self.handled(desk, "EvRocket2")
        #expect(kept.state == "ignored" && kept.reason?.contains("no such reaction from Slack") == true, "\(kept)")
        #expect(try await Self.reactions(desk, parentId) == ["🚀": [f.admin.id.lowercasedString]])
        try await Self.settle(desk)
        #expect(slack.calls("reactions.remove").isEmpty)
        // Nothing of the events' content or the token reached the log.
        #expect(!relay.process.text.contains("xoxb-test-token"))
        #expect(!relay.process.text.contains("Checking"))
        try await desk.stop()
    }

    @Test func hostileReactionEventsNeverCrashTheRelay() async throws {
        let desk = try await Desk.start()
        let parentId = try Self.parentMessageId(desk)
        var item = Self.reaction("tada", ts: desk.threadTs)
        let hostile: [(String, [String: Any])] = [
            ("EvH1", item.merging(["reaction": 42]) { $1 }),
            ("EvH2", item.merging(["reaction": ["+1"]]) { $1 }),
            ("EvH3", item.merging(["user": ["id": SlackInboundTests.adminSlackUser]]) { $1 }),
            ("EvH4", item.merging(["item": "C0INBOX01"]) { $1 }),
            ("EvH5", item.merging(["item": ["type": "message", "channel": 7, "ts": 1.5]]) { $1 }),
            ("EvH6", item.merging(["reaction": String(repeating: "tada", count: 5000)]) { $1 }),
            ("EvH7", item.merging(["reaction": "tada\u{0}"]) { $1 }),
            (
                "EvH8",
                item.merging(["item": ["type": "message", "channel": SlackRequests.channel, "ts": String(repeating: "9", count: 10_000)]]) { $1 }
            ),
            ("EvH9", item.merging(["reaction": "+1::skin-tone-99999999999999999999"]) { $1 }),
            ("EvH10", item.merging(["type": NSNull()]) { $1 }),
        ]
        for (id, event) in hostile {
            let answer = try await desk.event(id, event)
            #expect([200, 400].contains(answer.status), "\(id): \(answer.status) \(answer.text)")
        }
        // Larger than the limit: refused before it is read.
        item["reaction"] = String(repeating: "x", count: 1100 * 1024)
        #expect(try await desk.event("EvHuge", item).status == 413)
        // Whatever was stored was ignored, and the relay still takes a good reaction.
        try await waitFor("every stored event to be handled") {
            try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE state = 'pending'", as: Int.self) == 0
        }
        #expect(try desk.db.scalar("SELECT count(*) FROM slack_inbox WHERE state = 'done'", as: Int.self) == 0)
        #expect(try await Self.reactions(desk, parentId).isEmpty)
        #expect(try await desk.event("EvGood", Self.reaction("tada", ts: desk.threadTs)).status == 200)
        #expect(try await Self.handled(desk, "EvGood").state == "done")
        #expect(try await Self.reactions(desk, parentId) == ["🎉": [desk.f.admin.id.lowercasedString]])
        try await desk.stop()
    }
}
