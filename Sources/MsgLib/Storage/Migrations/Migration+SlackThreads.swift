extension Migration {
    /// Slack app mode: one Slack thread per conversation, and Web API jobs in the notification outbox.
    ///
    /// - `slack_settings` (one row) says whether app mode is on. The relay writes it at start-up from its
    ///   environment; the statement that inserts messages reads it, so every writer (the relay, msgctl, the REPL)
    ///   queues the same Slack jobs whatever its own environment holds.
    /// - `slack_threads` maps a conversation to the Slack message that heads its thread (channel and `ts`), and
    ///   back (an event in a thread names the channel and the thread's `ts`).
    /// - Outbox jobs `slack_post` (a message to post: the thread's parent when the conversation has no thread yet,
    ///   otherwise a reply in it) and `slack_update` (rewrite the parent with the conversation's state) name their
    ///   conversation, so that a conversation's Slack jobs go out one after another, in order.
    static let slackThreads = Migration(
        id: 21, name: "slack_threads, slack_settings, outbox slack_post/slack_update",
        sql: """
            CREATE TABLE slack_settings (
                singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
                app_mode BOOLEAN NOT NULL DEFAULT false,
                channel_id TEXT,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            INSERT INTO slack_settings (singleton) VALUES (true);

            CREATE TABLE slack_threads (
                conversation_id UUID PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
                channel_id TEXT NOT NULL,
                thread_ts TEXT NOT NULL,
                parent_ts TEXT NOT NULL,
                parent_message_id UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),

                CONSTRAINT slack_threads_thread UNIQUE (channel_id, thread_ts)
            );

            ALTER TABLE notification_outbox ADD COLUMN conversation_id UUID REFERENCES conversations(id) ON DELETE CASCADE;
            ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_kind;
            ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind
                CHECK (kind IN ('push', 'slack', 'slack_post', 'slack_update'));
            ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_slack_conversation
                CHECK ((kind IN ('slack_post', 'slack_update')) = (conversation_id IS NOT NULL));
            CREATE INDEX idx_notification_outbox_conversation ON notification_outbox(conversation_id, id)
                WHERE conversation_id IS NOT NULL AND failed_at IS NULL;
            """)
}
