extension Migration {
    /// Reactions mirrored to and from Slack (app mode).
    ///
    /// - `slack_posts` maps a message to the Slack message that shows it (channel and `ts`): every message the outbox
    ///   posted with `chat.postMessage` (recorded when Slack accepts it), and every message that came from Slack (its
    ///   own `ts`), so a reaction on either side finds the other. The parents of the threads already posted are
    ///   copied in from `slack_threads`.
    /// - `message_reactions.from_slack` marks reactions that came from Slack: they are never sent back.
    /// - Outbox jobs `slack_reaction` set the bot's reaction on a message's post (`reactions.add` / `reactions.remove`);
    ///   they name their conversation, so they leave after the post they react to.
    ///
    /// Built without holding writers back: the new column has a constant default (no rewrite), and the outbox's
    /// checks are replaced by wider ones added `NOT VALID` and validated apart (no write lock while the table is read).
    /// Every step can run again after an interruption.
    static let slackReactions = Migration(
        id: 30, name: "slack_posts, message_reactions.from_slack, outbox slack_reaction",
        steps: [
            .init(
                "create slack_posts, copy the thread parents in, add message_reactions.from_slack",
                """
                CREATE TABLE IF NOT EXISTS slack_posts (
                    message_id UUID PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
                    channel_id TEXT NOT NULL,
                    ts TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),

                    CONSTRAINT slack_posts_ts UNIQUE (channel_id, ts)
                );
                INSERT INTO slack_posts (message_id, channel_id, ts)
                SELECT parent_message_id, channel_id, parent_ts FROM slack_threads ON CONFLICT DO NOTHING;
                ALTER TABLE message_reactions ADD COLUMN IF NOT EXISTS from_slack BOOLEAN NOT NULL DEFAULT false;
                """),
            .init(
                "widen the outbox's kind checks to slack_reaction (not valid)",
                """
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'notification_outbox_kind_reaction') THEN
                        ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_kind_reaction
                            CHECK (kind IN ('push', 'slack', 'slack_post', 'slack_update', 'slack_reaction')) NOT VALID;
                    END IF;
                    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'notification_outbox_slack_conversation_reaction') THEN
                        ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_slack_conversation_reaction
                            CHECK ((kind IN ('slack_post', 'slack_update', 'slack_reaction')) = (conversation_id IS NOT NULL)) NOT VALID;
                    END IF;
                END
                $$;
                """),
            .init(
                "validate the wider checks",
                """
                ALTER TABLE notification_outbox VALIDATE CONSTRAINT notification_outbox_kind_reaction;
                ALTER TABLE notification_outbox VALIDATE CONSTRAINT notification_outbox_slack_conversation_reaction;
                """),
            .init(
                "drop the narrower checks",
                """
                ALTER TABLE notification_outbox DROP CONSTRAINT IF EXISTS notification_outbox_kind;
                ALTER TABLE notification_outbox DROP CONSTRAINT IF EXISTS notification_outbox_slack_conversation;
                """),
        ])
}
