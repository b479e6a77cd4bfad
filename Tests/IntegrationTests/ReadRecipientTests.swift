import Foundation
import MsgLib
import TestSupport
import Testing

/// Who may mark a message read, and which counter it leaves, is told by its conversation: the user's messages are for
/// the admins, the admins' for the user, whatever roles change after they were sent.
@Suite(.needsDatabase) struct ReadRecipientTests {
    private struct Setup {
        let database: TestDatabase
        let db: PostgresConnection
        let f: Fixtures
        let service: MessagingService
        let conversation: Conversation

        init() async throws {
            database = try await TestDatabase.create()
            db = try database.connect()
            f = try Fixtures.make(db)
            service = MessagingService(pool: database.pool(size: 2), rules: MessagingRules(perMinute: 0, perHour: 0, perDay: 0))
            conversation = try await service.createConversation(viewer: f.alice, initialMessage: nil).conversation
        }

        func counts() throws -> (admin: Int, user: Int) {
            let c = try #require(try ConversationRepository.find(db, id: conversation.id))
            return (c.unreadCountAdmin, c.unreadCountUser)
        }

        /// `user` as the database has them now.
        func current(_ user: User) throws -> User { try #require(try UserRepository.find(db, id: user.id)) }
    }

    /// Replies of an admin since demoted stay the user's to read, by each way of reading, and her counter comes back to
    /// zero; an admin may not read them for her.
    @Test func aDemotedAdminsRepliesAreStillTheUsersToRead() async throws {
        let s = try await Setup()
        let second = try UserRepository.insert(s.db, username: "second", displayName: "Second", isAdmin: true)
        var replies: [Message] = []
        for n in 1...4 {
            replies.append(try await s.service.sendMessage(viewer: second, conversationId: s.conversation.id, content: "reply \(n)"))
        }
        #expect(try s.counts() == (0, 4))
        try s.db.query("UPDATE users SET is_admin = false WHERE id = $1", [second.id])
        let alice = try s.current(s.f.alice)
        let admin = try s.current(s.f.admin)

        // An admin is not their recipient.
        await #expect(throws: ServiceError.readNotRecipient) {
            try await s.service.markRead(viewer: admin, messageId: replies[0].id)
        }
        let refused = try await s.service.markRead(viewer: admin, messageIds: [replies[0].id])
        #expect(refused.refusal == .readNotRecipient)
        #expect(try await s.service.bulkRead(viewer: admin, conversationId: s.conversation.id, messageIds: nil).isEmpty)
        #expect(try s.counts() == (0, 4))

        // The user is, however she reads them.
        #expect(try await s.service.messagesSinceOldestUnread(viewer: alice, conversationId: s.conversation.id) == 4)
        let unread = try DeliveryRepository.unread(s.db, viewer: alice, limit: 10)
        #expect(unread.map(\.message.id) == replies.map(\.id))
        #expect(try DeliveryRepository.unread(s.db, viewer: admin, limit: 10).isEmpty)
        #expect(try await s.service.markRead(viewer: alice, messageId: replies[0].id).readAt != nil)
        #expect(try s.counts() == (0, 3))
        let framed = try await s.service.markRead(viewer: alice, messageIds: [replies[1].id])
        #expect(framed.refusal == nil)
        #expect(try s.counts() == (0, 2))
        let bulk = try await s.service.bulkRead(viewer: alice, conversationId: s.conversation.id, messageIds: nil)
        #expect(Set(bulk.map(\.id)) == Set(replies[2...].map(\.id)))
        #expect(try s.counts() == (0, 0))
        #expect(try await s.service.messagesSinceOldestUnread(viewer: alice, conversationId: s.conversation.id) == 0)
    }

    /// A user made admin keeps her conversation: her messages there are still the admins' to read, the replies hers.
    @Test func aUserMadeAdminStillReadsTheRepliesInHerConversation() async throws {
        let s = try await Setup()
        let question = try await s.service.sendMessage(viewer: s.f.alice, conversationId: s.conversation.id, content: "question")
        let reply = try await s.service.sendMessage(viewer: s.f.admin, conversationId: s.conversation.id, content: "reply")
        try s.db.query("UPDATE users SET is_admin = true WHERE id = $1", [s.f.alice.id])
        let alice = try s.current(s.f.alice)
        let pushes = try [s.f.alice, s.f.admin].map { user in
            try #require(
                try PushSubscriptionRepository.upsert(
                    s.db, userId: user.id, endpoint: "https://push.example/\(user.username)", p256dh: "k", auth: "a")
            ).id
        }
        // Sent as an admin, in her own conversation: for the other admins all the same, pushed to them, not to her.
        let followUp = try await s.service.sendMessage(viewer: alice, conversationId: s.conversation.id, content: "follow-up")
        #expect(try s.counts() == (2, 1))
        let pushed = try s.db.query("SELECT subscription_id FROM notification_outbox WHERE message_id = $1 AND kind = 'push'", [followUp.id])
            .map { try $0.decode(0, as: UUID.self) }
        #expect(pushed == [pushes[1]])
        // Reactions go the same way: hers to the admins but her, the admin's to her.
        func reactionPushes(_ reactor: User, _ emoji: String) throws -> [UUID] {
            try OutboxRepository.enqueueReactionPush(s.db, messageId: question.id, conversationUserId: alice.id, reactor: reactor, emoji: emoji)
            return try s.db.query("SELECT subscription_id FROM notification_outbox WHERE reaction = $1", [emoji]).map { try $0.decode(0) }
        }
        #expect(try reactionPushes(alice, "👍") == [pushes[1]])
        #expect(try reactionPushes(s.f.admin, "🎉") == [pushes[0]])

        #expect(try DeliveryRepository.unread(s.db, viewer: alice, limit: 10).map(\.message.id) == [reply.id])
        #expect(try DeliveryRepository.unread(s.db, viewer: s.f.admin, limit: 10).map(\.message.id) == [question.id, followUp.id])
        // The reply is hers, not another admin's.
        let second = try UserRepository.insert(s.db, username: "second", displayName: "Second", isAdmin: true)
        await #expect(throws: ServiceError.readNotRecipient) {
            try await s.service.markRead(viewer: second, messageId: reply.id)
        }
        #expect(try await s.service.markRead(viewer: alice, messageId: reply.id).readAt != nil)
        let read = try await s.service.bulkRead(viewer: s.f.admin, conversationId: s.conversation.id, messageIds: nil)
        #expect(Set(read.map(\.id)) == [question.id, followUp.id])
        #expect(try s.counts() == (0, 0))
    }
}
