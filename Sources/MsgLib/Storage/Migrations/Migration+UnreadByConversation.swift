extension Migration {
    /// A message's recipient is told by its conversation, which never changes: the conversation's user's messages are
    /// for the admins, everyone else's (the admins') for its user. The triggers told them apart by the sender's role at
    /// the time of each change, which moves: a reply of an admin since demoted was counted for the user and, once read by
    /// an admin (the only ones then allowed), taken off the admins' counter, leaving the user a count nobody could clear.
    /// Counting a new message needs no lookup of its sender any more. The update and delete trigger and the recount are
    /// migration 41's again, which told the sides apart by the conversation already.
    static let unreadByConversation = Migration(
        id: 49, name: "unread counters by the conversation's user",
        sql: """
            CREATE OR REPLACE FUNCTION update_conversation_on_message()
            RETURNS TRIGGER AS $$
            BEGIN
                UPDATE conversations
                SET
                    last_message_at = NEW.created_at,
                    updated_at = NOW(),
                    unread_count_user = CASE WHEN NEW.sender_id = user_id THEN unread_count_user ELSE unread_count_user + 1 END,
                    unread_count_admin = CASE WHEN NEW.sender_id = user_id THEN unread_count_admin + 1 ELSE unread_count_admin END,
                    archived_by_admin = CASE WHEN NEW.sender_id = user_id THEN false ELSE archived_by_admin END,
                    archived_at = CASE WHEN NEW.sender_id = user_id THEN NULL ELSE archived_at END,
                    last_message_txid = pg_current_xact_id()
                WHERE id = NEW.conversation_id;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            """ + unreadFollowsRows.sql)
}
