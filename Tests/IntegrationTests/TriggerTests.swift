import Foundation
import MsgLib
import TestSupport
import Testing

@Suite(.needsDatabase) struct TriggerTests {
    @Test func insertRaisesTheRecipientsCounterAndLastMessageAt() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        #expect(conversation.lastMessageAt == nil)
        let m1 = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "hello")
        var c = try #require(try ConversationRepository.find(db, id: conversation.id))
        #expect(c.unreadCountAdmin == 1)
        #expect(c.unreadCountUser == 0)
        #expect(c.lastMessageAt == m1.createdAt)
        let m2 = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "hi alice")
        c = try #require(try ConversationRepository.find(db, id: conversation.id))
        #expect(c.unreadCountAdmin == 1)
        #expect(c.unreadCountUser == 1)
        #expect(c.lastMessageAt == m2.createdAt)
    }

    @Test func readingLowersTheRightCounterNeverBelowZero() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let fromAlice = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "one")
        let fromAdmin = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "two")
        #expect(try MessageRepository.markRead(db, id: fromAlice.id) != nil)
        var c = try #require(try ConversationRepository.find(db, id: conversation.id))
        #expect(c.unreadCountAdmin == 0)
        #expect(c.unreadCountUser == 1)
        // Reading again changes nothing.
        #expect(try MessageRepository.markRead(db, id: fromAlice.id) == nil)
        // A counter already at zero stays there even when a row's read_at is set by hand.
        try db.query("UPDATE conversations SET unread_count_user = 0 WHERE id = $1", [conversation.id])
        try db.query("UPDATE messages SET read_at = now() WHERE id = $1", [fromAdmin.id])
        c = try #require(try ConversationRepository.find(db, id: conversation.id))
        #expect(c.unreadCountUser == 0)
        #expect(c.unreadCountAdmin == 0)
    }
}
