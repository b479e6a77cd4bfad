import Foundation
import TestSupport
import Testing

@testable import MsgLib

/// Slack app mode in the database: the insert statement reads the mode, a conversation's jobs are claimed in order,
/// and parent updates are coalesced without skipping one that a worker holds.
@Suite(.needsDatabase) struct SlackOutboxTests {
    func jobs(_ db: PostgresConnection, _ kind: String) throws -> Int {
        try db.scalar("SELECT count(*) FROM notification_outbox WHERE kind = $1", [kind], as: Int.self)
    }

    @Test func theInsertStatementReadsTheModeAndSkipsMessagesFromSlack() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, sender: f.alice, content: "off")
        #expect(try jobs(db, "slack_post") == 0)
        #expect(try SlackThreadRepository.setAppMode(db, channelId: "C1"))
        #expect(try !SlackThreadRepository.setAppMode(db, channelId: "C1"))
        let sends = [
            MessageSend(sender: f.alice, conversationId: nil, content: "user"),
            MessageSend(sender: f.admin, conversationId: conversation.id, content: "from Slack", origin: .slack),
        ]
        let inserted = try MessageRepository.insert(db, sends)
        #expect(inserted.allSatisfy { $0 != nil })
        let queued = try db.query("SELECT message_id, conversation_id FROM notification_outbox WHERE kind = 'slack_post'")
        #expect(queued.count == 1)
        #expect(try queued.first?.decode(0, as: UUID.self) == inserted[0]?.message.id)
        #expect(try queued.first?.decode(1, as: UUID.self) == conversation.id)
        _ = try MessageRepository.insert(db, conversationId: conversation.id, sender: f.admin, content: "admin")
        #expect(try jobs(db, "slack_post") == 2)
        #expect(try SlackThreadRepository.setAppMode(db, channelId: nil))
        _ = try MessageRepository.insert(db, conversationId: conversation.id, sender: f.admin, content: "off again")
        #expect(try jobs(db, "slack_post") == 2)
    }

    @Test func aConversationsJobsAreClaimedOneAtATimeInOrder() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        try SlackThreadRepository.setAppMode(db, channelId: "C1")
        let alice = try ConversationRepository.insert(db, userId: f.alice.id)
        let bob = try ConversationRepository.insert(db, userId: f.bob.id)
        for content in ["a1", "a2", "a3"] { _ = try MessageRepository.insert(db, conversationId: alice.id, sender: f.alice, content: content) }
        _ = try MessageRepository.insert(db, conversationId: bob.id, sender: f.bob, content: "b1")
        let outbox = NotificationOutbox(kinds: [.slackPost, .slackUpdate])
        try db.transaction {
            let claimed = try outbox.claimDue(db, limit: 10)
            #expect(claimed.map(\.message.content) == ["a1", "b1"])
            #expect(claimed.allSatisfy { $0.slack?.thread == nil && $0.slack?.sender.isAdmin == false })
            #expect(claimed.first?.slack?.unreadCount == 3)
            // Another worker sees nothing of Alice's conversation while the first job is held.
            let other = try database.connect()
            #expect(try other.transaction { try outbox.claimDue(other, limit: 10) }.isEmpty)
            try outbox.retry(db, job: claimed[0].id, in: 3600, error: "later")
            try outbox.finish(db, done: [claimed[1].id], used: [])
        }
        // A job waiting for a retry still holds the ones after it back, and nothing is due before it.
        #expect(try db.transaction { try outbox.claimDue(db, limit: 10) }.isEmpty)
        #expect(try outbox.secondsUntilNextDue(db).map { $0 > 3000 } == true)
        // Given up, it no longer holds them.
        try db.query("UPDATE notification_outbox SET failed_at = now() WHERE available_at > now()")
        #expect(try db.transaction { try outbox.claimDue(db, limit: 10) }.map(\.message.content) == ["a2"])
    }

    /// Another channel (SLACK_CHANNEL_ID changed, or a new install) forgets the other channels' threads: the next
    /// message of each conversation starts a thread where the bot now posts, not a reply in a channel it left.
    @Test func anotherChannelForgetsTheOldChannelsThreads() async throws {
        let db = try await TestDatabase.create().connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let first = try MessageRepository.insert(db, conversationId: conversation.id, sender: f.alice, content: "hi")
        try SlackThreadRepository.setAppMode(db, channelId: "C0OLD")
        try SlackThreadRepository.insert(
            db, SlackThread(conversationId: conversation.id, channelId: "C0OLD", threadTs: "1.1", parentTs: "1.1", parentMessageId: first!.message.id)
        )
        #expect(try !SlackThreadRepository.setAppMode(db, channelId: "C0OLD"))
        #expect(try SlackThreadRepository.thread(db, conversationId: conversation.id) != nil)
        // Off and on again in the same channel: the thread is still the conversation's.
        try SlackThreadRepository.setAppMode(db, channelId: nil)
        try SlackThreadRepository.setAppMode(db, channelId: "C0OLD")
        #expect(try SlackThreadRepository.thread(db, conversationId: conversation.id) != nil)
        #expect(try SlackThreadRepository.setAppMode(db, channelId: "C0NEW"))
        #expect(try SlackThreadRepository.thread(db, conversationId: conversation.id) == nil)
    }

    @Test func parentUpdatesAreCoalescedUnlessAWorkerHoldsOne() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let first = try MessageRepository.insert(db, conversationId: conversation.id, sender: f.alice, content: "hi")
        #expect(try !SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversation.id))
        let thread = SlackThread(
            conversationId: conversation.id, channelId: "C1", threadTs: "1.1", parentTs: "1.1", parentMessageId: first!.message.id)
        try SlackThreadRepository.insert(db, thread)
        try SlackThreadRepository.insert(
            db, SlackThread(conversationId: conversation.id, channelId: "C1", threadTs: "2.2", parentTs: "2.2", parentMessageId: first!.message.id))
        #expect(try SlackThreadRepository.thread(db, conversationId: conversation.id) == thread)
        // Another conversation answered with the same ts is not recorded, and does not fail.
        let bobs = try ConversationRepository.insert(db, userId: f.bob.id)
        let bobsFirst = try MessageRepository.insert(db, conversationId: bobs.id, sender: f.bob, content: "hey")
        try SlackThreadRepository.insert(
            db, SlackThread(conversationId: bobs.id, channelId: "C1", threadTs: "1.1", parentTs: "1.1", parentMessageId: bobsFirst!.message.id))
        #expect(try SlackThreadRepository.thread(db, conversationId: bobs.id) == nil)
        #expect(try SlackThreadRepository.conversation(db, channelId: "C1", threadTs: "1.1") == conversation.id)
        #expect(try SlackThreadRepository.conversation(db, channelId: "C1", threadTs: "2.2") == nil)
        #expect(try SlackThreadRepository.conversation(db, channelId: "C2", threadTs: "1.1") == nil)
        #expect(try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversation.id))
        #expect(try !SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversation.id))
        #expect(try jobs(db, "slack_update") == 1)
        // A worker holds the waiting update (it may have read the state already): a new one is queued.
        let worker = try database.connect()
        try worker.execute("BEGIN")
        let held = try NotificationOutbox(kinds: [.slackUpdate]).claimDue(worker, limit: 10)
        #expect(held.count == 1 && held.first?.slack?.thread == thread)
        #expect(try SlackThreadRepository.enqueueParentUpdate(db, conversationId: conversation.id))
        try worker.execute("ROLLBACK")
        #expect(try jobs(db, "slack_update") == 2)
    }
}
