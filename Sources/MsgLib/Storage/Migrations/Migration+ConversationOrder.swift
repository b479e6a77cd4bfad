extension Migration {
    /// The transaction that inserted a conversation's newest message, as PostgreSQL numbers top-level transactions
    /// (`pg_current_xact_id()`). A send reads it under the conversation's row lock: the commit its message must follow.
    /// The row's `xmin` said the same until a message was inserted within a savepoint (the Slack inbox, SQL), where it is
    /// the subtransaction's id, which snapshots never list as running, so a message could be delivered before the
    /// earlier one it waited for. Adding a column without a default changes no row; a conversation with no message
    /// since is read by its `xmin` as before.
    static let conversationOrder = Migration(
        id: 39, name: "conversations.last_message_txid",
        sql: """
            ALTER TABLE conversations ADD COLUMN last_message_txid xid8;
            CREATE OR REPLACE FUNCTION update_conversation_on_message()
            RETURNS TRIGGER AS $$
            DECLARE
                is_sender_admin BOOLEAN;
            BEGIN
                SELECT is_admin INTO is_sender_admin FROM users WHERE id = NEW.sender_id;
                UPDATE conversations
                SET
                    last_message_at = NEW.created_at,
                    updated_at = NOW(),
                    unread_count_user = CASE WHEN is_sender_admin THEN unread_count_user + 1 ELSE unread_count_user END,
                    unread_count_admin = CASE WHEN is_sender_admin THEN unread_count_admin ELSE unread_count_admin + 1 END,
                    last_message_txid = pg_current_xact_id()
                WHERE id = NEW.conversation_id;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            """)
}
