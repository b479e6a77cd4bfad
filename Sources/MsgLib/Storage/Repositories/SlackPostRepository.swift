import Foundation

/// The `slack_posts` table (message <-> Slack message), and the outbox jobs that mirror reactions to Slack.
package enum SlackPostRepository {
    /// Records the Slack message of a message; one recorded already is kept, and so is one of another message with the
    /// same channel and `ts`.
    package static func insert(_ db: PostgresConnection, _ post: SlackMessagePost) throws {
        try db.query(
            "INSERT INTO slack_posts (message_id, channel_id, ts) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [post.messageId, post.channelId, post.ts])
    }

    /// The message shown by Slack message `ts` in `channelId`, nil when it is none of ours.
    package static func message(_ db: PostgresConnection, channelId: String, ts: String) throws -> UUID? {
        try db.query("SELECT message_id FROM slack_posts WHERE channel_id = $1 AND ts = $2", [channelId, ts]).first.map {
            try $0.decode(0, as: UUID.self)
        }
    }

    /// The Slack message of message `messageId`, nil when it has none (yet).
    package static func post(_ db: PostgresConnection, messageId: UUID) throws -> SlackMessagePost? {
        try db.query("SELECT channel_id, ts FROM slack_posts WHERE message_id = $1", [messageId]).first.map {
            SlackMessagePost(messageId: messageId, channelId: try $0.decode(0), ts: try $0.decode(1))
        }
    }

    /// Queues a `slack_reaction` job that sets the bot's `emoji` reaction on the message's Slack post as the message's
    /// reactions stand when it leaves, in the caller's transaction. Queued only in app mode, for a message that has a
    /// post or a post waiting to leave, and unless a job for the same message and emoji is already waiting and not
    /// being sent (that one reads the state when it leaves). A queued job wakes the outbox workers at commit.
    /// - Returns: whether a job was queued.
    @discardableResult
    package static func enqueueReaction(
        _ db: PostgresConnection, messageId: UUID, conversationId: UUID, emoji: String, added: Bool, reactorId: UUID
    ) throws -> Bool {
        let queued = try !db.query(
            """
            INSERT INTO notification_outbox (kind, message_id, conversation_id, reaction, reaction_added, reactor_id)
            SELECT 'slack_reaction', $1, $2, $3, $4, $5 FROM slack_settings s
            WHERE s.app_mode
              AND (EXISTS (SELECT 1 FROM slack_posts WHERE message_id = $1)
                   OR EXISTS (SELECT 1 FROM notification_outbox WHERE message_id = $1 AND kind = 'slack_post' AND failed_at IS NULL))
              AND NOT EXISTS (
                  SELECT 1 FROM notification_outbox o
                  WHERE o.message_id = $1 AND o.kind = 'slack_reaction' AND o.reaction = $3 AND o.failed_at IS NULL
                  FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, [messageId, conversationId, emoji, added, reactorId]
        ).isEmpty
        if queued { try DeliveryRepository.notify(db, [.outbox]) }
        return queued
    }
}
