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

    /// A message counts while unread and not deleted: restored, it counts again; deleted outright (its sender removed
    /// in SQL), or read and deleted in one update, it no longer does.
    @Test func countersFollowRestoresAndDeletions() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        func counts() throws -> (admin: Int, user: Int) {
            let c = try #require(try ConversationRepository.find(db, id: conversation.id))
            return (c.unreadCountAdmin, c.unreadCountUser)
        }
        let a = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "a")
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.alice.id, content: "b")
        #expect(try counts() == (2, 0))
        try db.query("UPDATE messages SET deleted_at = now() WHERE id = $1", [a.id])
        #expect(try counts() == (1, 0))
        try db.query("UPDATE messages SET deleted_at = NULL WHERE id = $1", [a.id])
        #expect(try counts() == (2, 0))
        // Read and deleted at once: off the count once.
        try db.query("UPDATE messages SET read_at = now(), deleted_at = now() WHERE id = $1", [a.id])
        #expect(try counts() == (1, 0))
        // Restored but read: it stays off.
        try db.query("UPDATE messages SET deleted_at = NULL WHERE id = $1", [a.id])
        #expect(try counts() == (1, 0))
        // An admin's reply, then that admin removed in SQL: the reply goes, and its count with it.
        let second = try UserRepository.insert(db, username: "second", displayName: "Second", isAdmin: true)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: second.id, content: "reply")
        #expect(try counts() == (1, 1))
        try db.query("DELETE FROM users WHERE id = $1", [second.id])
        #expect(try counts() == (1, 0))
        // An edit changes nothing.
        try db.query("UPDATE messages SET content = 'b2', edited_at = now() WHERE content = 'b'")
        #expect(try counts() == (1, 0))
        // Counters left wrong before (by the triggers of earlier releases) are counted again by the migration.
        try db.query("UPDATE conversations SET unread_count_admin = 7, unread_count_user = 3")
        try db.execute(try #require(Migration.all.first { $0.id == 41 }).sql)
        try db.execute(try #require(Migration.all.first { $0.id == 49 }).sql)
        #expect(try counts() == (1, 0))
    }

    /// One rule for every counter change, whatever the roles: a message counts for the admins when its sender is the
    /// conversation's user, for the user otherwise. A user made admin still writes to the admins in her conversation; a
    /// reply of an admin since demoted leaves the user's counter when it is read.
    @Test func countersFollowTheConversationWhateverTheRoles() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.bob.id)
        func counts() throws -> (admin: Int, user: Int) {
            let c = try #require(try ConversationRepository.find(db, id: conversation.id))
            return (c.unreadCountAdmin, c.unreadCountUser)
        }
        _ = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.bob.id, content: "before")
        let reply = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.admin.id, content: "reply")
        #expect(try counts() == (1, 1))
        try db.query("UPDATE users SET is_admin = NOT is_admin WHERE id IN ($1, $2)", [f.bob.id, f.admin.id])
        let after = try MessageRepository.insert(db, conversationId: conversation.id, senderId: f.bob.id, content: "as an admin")
        #expect(try counts() == (2, 1))
        try db.query("UPDATE messages SET deleted_at = now() WHERE id = $1", [after.id])
        #expect(try counts() == (1, 1))
        #expect(try MessageRepository.markRead(db, id: reply.id) != nil)
        #expect(try counts() == (1, 0))
        // Counted again by the migration by the same rule.
        try db.query("UPDATE conversations SET unread_count_admin = 5, unread_count_user = 5")
        try db.execute(try #require(Migration.all.first { $0.id == 49 }).sql)
        #expect(try counts() == (1, 0))
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
