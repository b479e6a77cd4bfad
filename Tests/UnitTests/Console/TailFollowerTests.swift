import Foundation
import Testing

@testable import MsgLib
@testable import MsgctlKit

/// `msgctl tail`'s decisions: which messages are new, each shown once, what it says of the connection; its lines.
@Suite struct TailFollowerTests {
    static func sender(_ username: String, _ displayName: String, isAdmin: Bool = false) -> SenderRepresentation {
        SenderRepresentation(User(id: UUID(), username: username, displayName: displayName, slug: username, isAdmin: isAdmin, createdAt: .now()))
    }

    static let alice = sender("alice", "Alice")

    static func message(_ id: String, cursor: String?, content: String = "hi", sender: SenderRepresentation = alice) -> LiveConnection.Event {
        .frame(.message(LiveFrame.Message(representation: representation(id, cursor: cursor, content: content, sender: sender))))
    }

    static func representation(
        _ id: String, cursor: String? = nil, content: String = "hi", sender: SenderRepresentation = alice, attachments: [MessageAttachment] = []
    ) -> MessageRepresentation {
        var message = MessageRepresentation(
            Message(
                id: UUID(), conversationId: UUID(), senderId: UUID(), content: content,
                createdAt: Timestamp(microsecondsSinceEpoch: 1_764_000_000_000_000), readAt: nil, editedAt: nil, attachments: attachments),
            sender: User(
                id: UUID(), username: sender.username, displayName: sender.displayName, slug: sender.username, isAdmin: sender.isAdmin,
                createdAt: .now()))
        message.id = id
        message.sender = sender
        message.cursor = cursor
        return message
    }

    static func shown(_ actions: [TailFollower.Action]) -> [String] {
        actions.compactMap { if case .show(let message) = $0 { message.id } else { nil } }
    }

    @Test func theFirstSocketsUnreadBacklogIsNotShownWhatFollowsIs() {
        var follower = TailFollower()
        #expect(follower.handle(.connected).isEmpty)
        // Unread messages come first, without cursors: old news.
        #expect(Self.shown(follower.handle(Self.message("old-1", cursor: nil))).isEmpty)
        #expect(Self.shown(follower.handle(Self.message("old-2", cursor: nil))).isEmpty)
        #expect(follower.handle(.frame(.replayed(count: 2, truncated: false))).isEmpty)
        #expect(Self.shown(follower.handle(Self.message("new-1", cursor: "c1"))) == ["new-1"])
    }

    @Test func withoutAReplayedFrameTheFirstLiveMessageStartsTheFollowing() {
        var follower = TailFollower()
        _ = follower.handle(.connected)
        #expect(Self.shown(follower.handle(Self.message("old", cursor: nil))).isEmpty)
        #expect(Self.shown(follower.handle(Self.message("live", cursor: "c"))) == ["live"])
        // Once following, a replay after a resume by id (messages without cursors) is shown.
        #expect(Self.shown(follower.handle(Self.message("missed", cursor: nil))) == ["missed"])
    }

    @Test func aMessageIsShownOnceEvenWhenARelayRepeatsIt() {
        var follower = TailFollower()
        _ = follower.handle(.frame(.replayed(count: 0, truncated: false)))
        #expect(Self.shown(follower.handle(Self.message("m1", cursor: "c1"))) == ["m1"])
        _ = follower.handle(.disconnected(reason: "closed", retryIn: 1))
        _ = follower.handle(.connected)
        #expect(Self.shown(follower.handle(Self.message("m1", cursor: "c1"))).isEmpty)
        #expect(Self.shown(follower.handle(Self.message("m2", cursor: "c2"))) == ["m2"])
    }

    @Test func rememberedIdsStayBounded() {
        var follower = TailFollower()
        _ = follower.handle(.frame(.replayed(count: 0, truncated: false)))
        for index in 0..<(TailFollower.rememberedIds + 10) { _ = follower.handle(Self.message("m\(index)", cursor: "c")) }
        let recent = "m\(TailFollower.rememberedIds + 5)"
        #expect(Self.shown(follower.handle(Self.message(recent, cursor: "c"))).isEmpty)
        #expect(Self.shown(follower.handle(Self.message("m0", cursor: "c"))) == ["m0"])
    }

    @Test func anOutageIsToldOnceAndTheReconnectionToo() {
        var follower = TailFollower()
        // The relay is down from the start: said at the first attempt only.
        #expect(follower.handle(.disconnected(reason: "refused", retryIn: 1)).count == 1)
        #expect(follower.handle(.disconnected(reason: "refused", retryIn: 2)).isEmpty)
        #expect(follower.handle(.connected).isEmpty)
        #expect(
            follower.handle(.disconnected(reason: "closed (1001)", retryIn: 1)) == [
                .note("relay unreachable (closed (1001)); retrying in 1 s, then less often")
            ])
        #expect(follower.handle(.disconnected(reason: "refused", retryIn: 2)).isEmpty)
        #expect(follower.handle(.disconnected(reason: "refused", retryIn: 4)).isEmpty)
        #expect(follower.handle(.connected) == [.note("reconnected to the relay")])
    }

    @Test func aRefusedTokenStopsOtherErrorsAreNoted() {
        var follower = TailFollower()
        #expect(
            follower.handle(.frame(.error(code: "unauthorized", message: "Invalid token"))) == [
                .stop("the relay refuses the admin's token: Invalid token (unauthorized)")
            ])
        #expect(
            follower.handle(.frame(.error(code: "unavailable", message: "Database unavailable"))) == [
                .note("relay: Database unavailable (unavailable)")
            ])
        #expect(follower.handle(.frame(.typing(conversationId: "c", userId: "u", isTyping: true))).isEmpty)
    }

    @Test func aLineCannotActOnTheTerminalAndJSONKeepsTheText() throws {
        let file = MessageAttachment(id: UUID(), filename: "a\u{1B}]52;c;x\u{07}.pdf", contentType: "application/pdf", size: 1)
        let admin = Self.sender("admin", "Admin", isAdmin: true)
        let message = Self.representation("m", cursor: "secret-cursor", content: "two\nlines \u{1B}[2J\u{202E}", sender: admin, attachments: [file])
        let line = TailLine(message: message, conversationUser: .init(id: "u1", username: "al\u{1B}ice", displayName: "Alice"))
        #expect(!line.text.unicodeScalars.contains { TerminalText.isUnsafe($0) })
        #expect(line.text.hasSuffix(" [al\\u{1B}ice] admin: two\\u{A}lines \\u{1B}[2J\\u{202E} [attachment: a\\u{1B}]52;c;x\\u{7}.pdf]"))
        #expect(line.text.hasPrefix(HumanTime.formatSeconds(message.createdAt)))
        #expect(!line.json.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.json.utf8)) as? [String: Any])
        #expect(object["content"] as? String == "two\nlines \u{1B}[2J\u{202E}")
        #expect(object["cursor"] == nil)
        #expect((object["conversation_user"] as? [String: Any])?["username"] as? String == "al\u{1B}ice")
        #expect((object["sender"] as? [String: Any])?["is_admin"] as? Bool == true)
        #expect(
            Set(object.keys) == [
                "id", "conversation_id", "sender_id", "sender", "content", "created_at", "read_at", "edited_at", "attachments", "reactions",
                "conversation_user",
            ])
    }
}
