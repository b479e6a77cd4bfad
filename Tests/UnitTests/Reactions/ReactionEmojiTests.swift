import Foundation
import Testing

@testable import MsgLib

/// What counts as one reaction: a single emoji in any of its forms, and nothing else.
@Suite struct ReactionEmojiTests {
    @Test(arguments: [
        "👍", "❤️", "😀", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👩🏾‍❤️‍💋‍👨🏻", "🇫🇷", "🇯🇵", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "#️⃣", "*️⃣", "©️", "🫠", "🏽", "👁️‍🗨️",
    ])
    func acceptsOneEmoji(_ text: String) {
        #expect(ReactionEmoji(text)?.text == text, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test(arguments: [
        "", "a", "ok", "1", "#", "42", "👍👍", "👍 ", " 👍", "👍\n", "\u{7}", "\u{1B}[31m", "👍\u{0}", "©", "❤", "\u{200D}", "👍\u{200D}",
        "\u{FE0F}", "🇫", "🇫🇷🇯🇵", "👍🏽🏽", "👍🏽\u{FE0F}🏽", "🏴\u{E0067}", "1\u{20E3}\u{20E3}", "a\u{20E3}", "👍\u{20E3}", "😀\u{301}", "\u{202E}👍", "👍\u{FE0E}",
    ])
    func refusesEverythingElse(_ text: String) {
        #expect(ReactionEmoji(text) == nil, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    /// Forms that look alike are one reaction: kept in Unicode's fully-qualified form.
    @Test(arguments: [
        ("👍\u{FE0F}", "👍"), ("👍\u{FE0F}\u{FE0F}", "👍"), ("❤\u{FE0F}\u{FE0F}", "❤️"), ("*⃣", "*️⃣"), ("1\u{20E3}", "1️⃣"),
        ("👍🏽\u{FE0F}", "👍🏽"), ("🏳\u{FE0F}\u{FE0F}\u{200D}🌈", "🏳️‍🌈"), ("👁\u{FE0F}\u{200D}🗨", "👁️‍🗨️"), ("🏃\u{200D}♂", "🏃‍♂️"),
    ])
    func keepsOneFormOfEachEmoji(_ text: String, _ canonical: String) {
        #expect(ReactionEmoji(text)?.text == canonical, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        #expect(ReactionEmoji(text) == ReactionEmoji(canonical))
    }

    @Test func refusesOverLongInputWithoutLookingFurther() {
        #expect(ReactionEmoji(String(repeating: "👍", count: 10_000)) == nil)
        #expect(ReactionEmoji("👩" + String(repeating: "\u{200D}👩", count: 20)) == nil)
        #expect(ReactionEmoji(String(repeating: "a", count: 1_000_000)) == nil)
    }

    @Test func reactionFramesSurviveTheWire() throws {
        let message = UUID()
        for add in [true, false] {
            let frame = ClientFrame.reaction(messageId: message, emoji: "👍🏽", add: add)
            #expect(try ClientFrame.parse(frame.json).get() == frame)
            #expect(frame.json.contains(add ? "\"add_reaction\"" : "\"remove_reaction\""))
        }
        let admin = User(id: UUID(), username: "admin", displayName: "Admin", slug: "admin", isAdmin: true, createdAt: .now())
        let alice = User(id: UUID(), username: "alice", displayName: "Alice", slug: "alice", isAdmin: false, createdAt: .now())
        let change = ReactionChange(
            messageId: message, conversationId: UUID(), conversationUserId: alice.id, userId: alice.id, emoji: "👍", added: true,
            reactions: [MessageReaction(emoji: "👍", userIds: [admin.id, alice.id]), MessageReaction(emoji: "❤️", userIds: [admin.id])])
        for viewer in [admin, alice] {
            let frame = ServerFrame.reactionChanged(ReactionChangedRepresentation(change, viewer: viewer))
            #expect(try ServerFrame(json: Array(frame.json.utf8)) == frame)
            guard case .reactionChanged(let data) = frame else { continue }
            #expect(data.count == 2 && data.reactions.map(\.count) == [2, 1])
            #expect(data.reactions.map(\.reactedByMe) == (viewer.isAdmin ? [true, true] : [true, false]))
            // Who reacted is for admins only.
            #expect((data.reactions[0].users != nil) == viewer.isAdmin)
        }
    }
}
