extension Migration {
    /// The unread counters follow one rule: a message counts for the admins when its sender is no admin, for the
    /// conversation's user when the sender is one, as a message's insert counts it and as marking read reads it. The
    /// trigger of migration 41 told the two apart by the conversation's owner instead, which disagrees for a conversation
    /// whose user is (or became) an admin: a message deleted there left the wrong counter. The owner still decides when
    /// the sender's row is gone (deleted with the message). The conversations of admins are counted again.
    static let unreadBySender = Migration(
        id: 43, name: "unread counters by the sender's role",
        sql: """
            CREATE OR REPLACE FUNCTION update_conversation_unread() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                delta INTEGER;
                target messages;
                from_admin BOOLEAN;
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
                    SELECT is_admin INTO from_admin FROM users WHERE id = target.sender_id;
                    UPDATE conversations c SET
                        unread_count_admin = CASE WHEN coalesce(from_admin, target.sender_id <> c.user_id)
                            THEN unread_count_admin ELSE GREATEST(0, unread_count_admin + delta) END,
                        unread_count_user = CASE WHEN coalesce(from_admin, target.sender_id <> c.user_id)
                            THEN GREATEST(0, unread_count_user + delta) ELSE unread_count_user END,
                        updated_at = now()
                    WHERE c.id = target.conversation_id;
                END IF;
                RETURN NULL;
            END
            $$;
            WITH unread AS (
                SELECT m.conversation_id,
                       count(*) FILTER (WHERE NOT s.is_admin) AS for_admin,
                       count(*) FILTER (WHERE s.is_admin) AS for_user
                FROM messages m JOIN users s ON s.id = m.sender_id
                WHERE m.read_at IS NULL AND m.deleted_at IS NULL
                  AND m.conversation_id IN (SELECT c.id FROM conversations c JOIN users o ON o.id = c.user_id WHERE o.is_admin)
                GROUP BY m.conversation_id
            )
            UPDATE conversations c
            SET unread_count_admin = coalesce(u.for_admin, 0), unread_count_user = coalesce(u.for_user, 0)
            FROM users o, conversations c2 LEFT JOIN unread u ON u.conversation_id = c2.id
            WHERE c.id = c2.id AND o.id = c.user_id AND o.is_admin
              AND (c.unread_count_admin <> coalesce(u.for_admin, 0) OR c.unread_count_user <> coalesce(u.for_user, 0));
            """)
}
