extension Migration {
    /// Emoji reactions: one row per person, message and emoji (`message_reactions`), and per message the last change
    /// with the transaction that made it (`message_reaction_changes`), which relays deliver and resumes replay in
    /// commit order as they do messages (``CommitSnapshot``): `txid` orders, `change_id` (a UUIDv7 made by the server's
    /// clock) guards against transaction ids reused after a failover. Outbox jobs about a reaction (a push with
    /// `NOTIFY_REACTIONS=1`) name it, whether it was added, and who reacted.
    static let reactions = Migration(
        id: 29, name: "message_reactions, message_reaction_changes, sender_rate_limits.reaction_tat, notification_outbox.reaction",
        sql: """
            CREATE TABLE message_reactions (
                message_id UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                emoji TEXT NOT NULL,
                user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                PRIMARY KEY (message_id, emoji, user_id),
                CONSTRAINT message_reactions_emoji_length CHECK (octet_length(emoji) BETWEEN 1 AND 64)
            );
            CREATE INDEX idx_message_reactions_user ON message_reactions(user_id);

            CREATE TABLE message_reaction_changes (
                message_id UUID PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
                conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                change_id UUID NOT NULL DEFAULT uuid_generate_v7(),
                txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                user_id UUID REFERENCES users(id) ON DELETE SET NULL,
                emoji TEXT NOT NULL,
                added BOOLEAN NOT NULL
            );
            CREATE INDEX idx_message_reaction_changes_txid ON message_reaction_changes(txid);
            CREATE INDEX idx_message_reaction_changes_conversation ON message_reaction_changes(conversation_id, txid);

            ALTER TABLE sender_rate_limits ADD COLUMN reaction_tat TIMESTAMPTZ;

            ALTER TABLE notification_outbox ADD COLUMN reaction TEXT, ADD COLUMN reaction_added BOOLEAN,
                ADD COLUMN reactor_id UUID REFERENCES users(id) ON DELETE CASCADE;
            """)
}
