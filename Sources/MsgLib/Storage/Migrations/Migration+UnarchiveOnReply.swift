extension Migration {
    /// A user's new message brings an archived conversation back into the admin's list (as a reply brings an archived
    /// mail thread back to the inbox): the conversation trigger's one UPDATE clears `archived_by_admin` and
    /// `archived_at` when the sender is not an admin. An admin's own message leaves the flag as it is. Replaces the
    /// function only: no row is rewritten.
    static let unarchiveOnReply = Migration(
        id: 47, name: "a user's message unarchives the conversation",
        sql: """
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
                    archived_by_admin = CASE WHEN is_sender_admin THEN archived_by_admin ELSE false END,
                    archived_at = CASE WHEN is_sender_admin THEN archived_at ELSE NULL END,
                    last_message_txid = pg_current_xact_id()
                WHERE id = NEW.conversation_id;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            """)
}
