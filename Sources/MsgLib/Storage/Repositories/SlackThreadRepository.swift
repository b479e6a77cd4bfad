import Foundation

/// The `slack_threads` table (conversation <-> Slack thread) and the `slack_settings` row (whether app mode is on).
package enum SlackThreadRepository {
    static let columns = "conversation_id, channel_id, thread_ts, parent_ts, parent_message_id"

    /// The conversation whose thread is `threadTs` in `channelId`, nil when the thread is not one of ours.
    package static func conversation(_ db: PostgresConnection, channelId: String, threadTs: String) throws -> UUID? {
        try db.query("SELECT conversation_id FROM slack_threads WHERE channel_id = $1 AND thread_ts = $2", [channelId, threadTs])
            .first.map { try $0.decode(0, as: UUID.self) }
    }

    /// The thread of conversation `conversationId`, nil when none was posted yet.
    package static func thread(_ db: PostgresConnection, conversationId: UUID) throws -> SlackThread? {
        try db.query("SELECT \(columns) FROM slack_threads WHERE conversation_id = $1", [conversationId]).first.map {
            try SlackThread(row: $0)
        }
    }

    /// Records a conversation's thread; a thread recorded already is kept (the first parent posted wins), and so is
    /// one of another conversation with the same channel and `ts` (which Slack never answers). Not when app mode has
    /// moved to another channel meanwhile (a new install while the parent was being posted): that change forgot the
    /// old channel's threads, and the conversation's next message starts one in the new channel. The settings row is
    /// locked for it, so a change under way is waited for, and one that comes after sees this thread to forget.
    package static func insert(_ db: PostgresConnection, _ thread: SlackThread) throws {
        try db.query(
            """
            WITH settings AS (SELECT app_mode, channel_id FROM slack_settings FOR SHARE)
            INSERT INTO slack_threads (conversation_id, channel_id, thread_ts, parent_ts, parent_message_id)
            SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM settings WHERE app_mode AND channel_id IS DISTINCT FROM $2)
            ON CONFLICT DO NOTHING
            """, [thread.conversationId, thread.channelId, thread.threadTs, thread.parentTs, thread.parentMessageId])
    }

    /// Queues a `chat.update` of the conversation's parent message (its unread count and archived state as they are
    /// when the job is sent), in the caller's transaction. Nothing is queued when the conversation has no thread, or
    /// when an update of it is already waiting and not being sent (that one will read the state when it leaves; one
    /// being sent, locked by a worker, may have read it already). A queued job wakes the relays' outbox workers at
    /// commit. With `parent`, only when that message is the parent's (its preview). Returns whether a job was queued.
    @discardableResult
    package static func enqueueParentUpdate(_ db: PostgresConnection, conversationId: UUID, parent: UUID? = nil) throws -> Bool {
        let queued = try !db.query(
            """
            INSERT INTO notification_outbox (kind, message_id, conversation_id)
            SELECT 'slack_update', t.parent_message_id, t.conversation_id FROM slack_threads t
            WHERE t.conversation_id = $1 AND ($2::uuid IS NULL OR t.parent_message_id = $2)
              AND NOT EXISTS (
                  SELECT 1 FROM notification_outbox o
                  WHERE o.conversation_id = $1 AND o.kind = 'slack_update' AND o.failed_at IS NULL
                  FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, [conversationId, parent]
        ).isEmpty
        if queued { try DeliveryRepository.notify(db, [.outbox]) }
        return queued
    }

    /// Turns app mode on (with its channel) or off for every writer of the database: the statement that inserts
    /// messages queues Web API posts only while it is on. The relay calls this at start-up. Nothing is written when
    /// the stored settings already say so (a relay may start on a database that takes no writes yet).
    /// - Returns: whether the settings changed.
    @discardableResult
    ///
    /// A new channel forgets the threads of the others (SLACK_CHANNEL_ID changed, or an install moved the app to
    /// another channel or workspace, where the bot may not reach them): each conversation's next message starts a
    /// thread in the new one.
    package static func setAppMode(_ db: PostgresConnection, channelId: String?) throws -> Bool {
        let current = try appMode(db)
        guard current.on != (channelId != nil) || current.channelId != channelId else { return false }
        try db.query("UPDATE slack_settings SET app_mode = $1, channel_id = $2, updated_at = now()", [channelId != nil, channelId])
        if let channelId { try db.query("DELETE FROM slack_threads WHERE channel_id <> $1", [channelId]) }
        return true
    }

    /// Whether app mode is on, and its channel.
    package static func appMode(_ db: PostgresConnection) throws -> (on: Bool, channelId: String?) {
        let row = try db.query("SELECT app_mode, channel_id FROM slack_settings")[0]
        return (try row.decode(0), try row.decode(1))
    }
}

extension SlackThread {
    init(row: PostgresRow, prefix: String = "") throws(DatabaseError) {
        self.init(
            conversationId: try row.decode(prefix + "conversation_id"), channelId: try row.decode(prefix + "channel_id"),
            threadTs: try row.decode(prefix + "thread_ts"), parentTs: try row.decode(prefix + "parent_ts"),
            parentMessageId: try row.decode(prefix + "parent_message_id"))
    }
}
