extension Migration {
    /// A message counts as unread for its recipient while it is neither read nor deleted. The read and delete triggers
    /// (migrations 8 and 9) lowered the counters on those two changes only: a message restored (`deleted_at` cleared)
    /// was never counted again, one deleted outright (a user removed in SQL takes their messages) never left its count,
    /// and a message read and deleted in one update was not taken off. One trigger now applies the difference of every
    /// update of `read_at` or `deleted_at`, and another the removal of a row. The recipient is told by the conversation:
    /// its user's messages count for the admins, the others for its user (a sender's row may be gone with the message).
    /// Counters already wrong are counted again from the unread messages.
    static let unreadFollowsRows = Migration(
        id: 41, name: "unread counters follow restores and deletions",
        sql: """
            CREATE OR REPLACE FUNCTION update_conversation_unread() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                delta INTEGER;
                target messages;
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    target := OLD;
                    delta := CASE WHEN OLD.read_at IS NULL AND OLD.deleted_at IS NULL THEN -1 ELSE 0 END;
                ELSE
                    target := NEW;
                    delta := (CASE WHEN NEW.read_at IS NULL AND NEW.deleted_at IS NULL THEN 1 ELSE 0 END)
                        - (CASE WHEN OLD.read_at IS NULL AND OLD.deleted_at IS NULL THEN 1 ELSE 0 END);
                END IF;
                IF delta <> 0 THEN
                    UPDATE conversations c SET
                        unread_count_admin = CASE WHEN target.sender_id = c.user_id
                            THEN GREATEST(0, unread_count_admin + delta) ELSE unread_count_admin END,
                        unread_count_user = CASE WHEN target.sender_id = c.user_id
                            THEN unread_count_user ELSE GREATEST(0, unread_count_user + delta) END,
                        updated_at = now()
                    WHERE c.id = target.conversation_id;
                END IF;
                RETURN NULL;
            END
            $$;
            DROP TRIGGER IF EXISTS trigger_update_conversation_on_message_read ON messages;
            DROP TRIGGER IF EXISTS trigger_update_conversation_on_message_delete ON messages;
            DROP FUNCTION IF EXISTS update_conversation_on_message_read();
            DROP FUNCTION IF EXISTS update_conversation_on_message_delete();
            CREATE OR REPLACE TRIGGER trigger_update_conversation_unread AFTER UPDATE OF read_at, deleted_at ON messages
                FOR EACH ROW EXECUTE FUNCTION update_conversation_unread();
            CREATE OR REPLACE TRIGGER trigger_update_conversation_unread_on_delete AFTER DELETE ON messages
                FOR EACH ROW EXECUTE FUNCTION update_conversation_unread();
            -- Counters the old triggers left wrong are counted again, from the unread messages (idx_messages_unread);
            -- only the conversations whose counters differ are written.
            WITH unread AS (
                SELECT m.conversation_id,
                       count(*) FILTER (WHERE m.sender_id = c.user_id) AS for_admin,
                       count(*) FILTER (WHERE m.sender_id <> c.user_id) AS for_user
                FROM messages m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.read_at IS NULL AND m.deleted_at IS NULL
                GROUP BY m.conversation_id
            )
            UPDATE conversations c
            SET unread_count_admin = coalesce(u.for_admin, 0), unread_count_user = coalesce(u.for_user, 0)
            FROM conversations c2 LEFT JOIN unread u ON u.conversation_id = c2.id
            WHERE c.id = c2.id
              AND (c.unread_count_admin <> coalesce(u.for_admin, 0) OR c.unread_count_user <> coalesce(u.for_user, 0));
            """)
}
