import Foundation
import Testing

@testable import MsgLib

/// Reactions between the product and Slack, without I/O: short names and emoji, reaction events, and what Slack's
/// answers to `reactions.add` / `reactions.remove` mean.
@Suite struct SlackReactionTests {
    @Test func shortNamesAndEmojiMapBothWays() {
        #expect(SlackEmojiName.emoji(forName: "thumbsup") == "👍")
        #expect(SlackEmojiName.emoji(forName: "+1") == "👍")
        #expect(SlackEmojiName.name(forEmoji: "👍") == "+1")
        #expect(SlackEmojiName.emoji(forName: "heart") == "❤️")
        #expect(SlackEmojiName.name(forEmoji: "❤️") == "heart")
        #expect(SlackEmojiName.name(forEmoji: "❤") == "heart")
        for name in ["tada", "joy", "eyes", "white_check_mark", "pray", "fire", "rocket", "100", "ok_hand", "smile"] {
            let emoji = SlackEmojiName.emoji(forName: name)
            #expect(emoji.map { ReactionEmoji.isValid($0) } == true, "\(name)")
            #expect(emoji.flatMap(SlackEmojiName.name(forEmoji:)) == name, "\(name)")
        }
        // Every emoji of the table is one the product takes, and its first name comes back.
        for (name, emoji) in SlackEmojiName.table {
            #expect(ReactionEmoji.isValid(emoji), "\(name)")
            #expect(SlackEmojiName.emoji(forName: SlackEmojiName.name(forEmoji: emoji) ?? "") == emoji, "\(name)")
        }
    }

    @Test func skinTonesBecomeModifiersAndBack() {
        #expect(SlackEmojiName.emoji(forName: "+1::skin-tone-2") == "👍🏻")
        #expect(SlackEmojiName.emoji(forName: "thumbsup::skin-tone-6") == "👍🏿")
        #expect(SlackEmojiName.name(forEmoji: "👍🏽") == "+1::skin-tone-4")
        #expect(SlackEmojiName.name(forEmoji: "🙏🏾") == "pray::skin-tone-5")
        #expect(ReactionEmoji.isValid(SlackEmojiName.emoji(forName: "clap::skin-tone-3") ?? ""))
        // A tone out of range, on an emoji that takes none, or malformed.
        for name in ["+1::skin-tone-1", "+1::skin-tone-7", "+1::skin-tone-", "+1::skin-tone-x", "fire::skin-tone-2", "heart::skin-tone-3"] {
            #expect(SlackEmojiName.emoji(forName: name) == nil, "\(name)")
        }
        #expect(SlackEmojiName.name(forEmoji: "🔥🏽") == nil)
    }

    @Test func emojiOutsideTheTableAreNotMirrored() {
        for name in ["", "parrot", "custom_party_blob", "HEART", String(repeating: "a", count: 5000), "heart\u{0}"] {
            #expect(SlackEmojiName.emoji(forName: name) == nil)
        }
        for emoji in ["🦜", "🇫🇷", "👩‍💻", "a"] { #expect(SlackEmojiName.name(forEmoji: emoji) == nil, "\(emoji)") }
    }

    static func envelope(_ event: String) throws -> SlackEventEnvelope {
        try SlackEventEnvelope.parse(
            Array(#"{"type":"event_callback","event_id":"Ev1","authorizations":[{"user_id":"UBOT","is_bot":true}],"event":\#(event)}"#.utf8))
    }

    @Test func reactionEventsOfPeopleOnMessagesAreAcceptedAndEverythingElseIgnored() throws {
        let added =
            #"{"type":"reaction_added","user":"U2","reaction":"tada","item_user":"U3","item":{"type":"message","channel":"C1","ts":"1.000100"},"event_ts":"9"}"#
        #expect(try Self.envelope(added).disposition() == .accept(eventId: "Ev1"))
        #expect(
            try Self.envelope(added).reactionChange()
                == .success(SlackReactionChange(slackUserId: "U2", channelId: "C1", ts: "1.000100", name: "tada", added: true)))
        let removed = added.replacingOccurrences(of: "reaction_added", with: "reaction_removed")
        #expect(try Self.envelope(removed).reactionChange().map { try? $0.get().added } == false)
        // A message event is no reaction.
        #expect(try Self.envelope(#"{"type":"message","channel":"C1","user":"U2","text":"x","ts":"2","thread_ts":"1"}"#).reactionChange() == nil)

        let ignored: [(String, SlackIgnoredReaction)] = [
            (#"{"type":"reaction_added","user":"UBOT","reaction":"tada","item":{"type":"message","channel":"C1","ts":"1"}}"#, .fromBot),
            (#"{"type":"reaction_added","reaction":"tada","item":{"type":"message","channel":"C1","ts":"1"}}"#, .noUser),
            (#"{"type":"reaction_added","user":{"id":"U2"},"reaction":"tada","item":{"type":"message","channel":"C1","ts":"1"}}"#, .noUser),
            (#"{"type":"reaction_added","user":"U2","reaction":"tada","item":{"type":"file","file":"F1"}}"#, .notOnAMessage),
            (#"{"type":"reaction_added","user":"U2","reaction":"tada","item":"C1"}"#, .notOnAMessage),
            (#"{"type":"reaction_added","user":"U2","reaction":"tada","item":{"type":"message","channel":["C1"],"ts":1.5}}"#, .notOnAMessage),
            (#"{"type":"reaction_added","user":"U2","reaction":"tada","item":{"type":"message","channel":"C1\n","ts":"1"}}"#, .notOnAMessage),
            (#"{"type":"reaction_added","user":"U2","reaction":42,"item":{"type":"message","channel":"C1","ts":"1"}}"#, .badName),
            (#"{"type":"reaction_added","user":"U2","reaction":"a b","item":{"type":"message","channel":"C1","ts":"1"}}"#, .badName),
            (
                #"{"type":"reaction_added","user":"U2","reaction":"\#(String(repeating: "x", count: 101))","item":{"type":"message","channel":"C1","ts":"1"}}"#,
                .badName
            ),
        ]
        for (event, reason) in ignored {
            #expect(try Self.envelope(event).disposition() == .ignore(reason.description), "\(event)")
        }
    }

    static func answer(_ status: Int, _ json: String) -> Result<HTTPClient.Response, HTTPClientError> {
        .success(HTTPClient.Response(status: status, body: Array(json.utf8)))
    }

    @Test func slacksAnswersToReactionCalls() {
        #expect(SlackReactionRequest.outcome(Self.answer(200, #"{"ok":true}"#)) == .delivered)
        #expect(SlackReactionRequest.outcome(Self.answer(200, #"{"ok":false,"error":"already_reacted"}"#)) == .delivered)
        #expect(SlackReactionRequest.outcome(Self.answer(200, #"{"ok":false,"error":"no_reaction"}"#)) == .delivered)
        #expect(
            SlackReactionRequest.outcome(Self.answer(200, #"{"ok":false,"error":"message_not_found"}"#))
                == .failed("Slack answered message_not_found"))
        if case .retry = SlackReactionRequest.outcome(Self.answer(429, #"{"ok":false,"error":"ratelimited"}"#)) {
        } else {
            Issue.record("429 not retried")
        }
        if case .retry = SlackReactionRequest.outcome(Self.answer(200, "not json")) {} else { Issue.record("not JSON not retried") }
        if case .retry = SlackReactionRequest.outcome(Self.answer(503, "<html>")) {} else { Issue.record("503 not retried") }

        let post = SlackMessagePost(messageId: UUID(), channelId: "C1", ts: "1.000100")
        let add = SlackReactionRequest(post: post, name: "+1::skin-tone-2", add: true)
        #expect(add.method == "reactions.add")
        #expect(String(decoding: add.body, as: UTF8.self) == #"{"channel":"C1","name":"+1::skin-tone-2","timestamp":"1.000100"}"#)
        #expect(SlackReactionRequest(post: post, name: "tada", add: false).method == "reactions.remove")
    }
}
