extension Migration {
    /// Edit and delete history: `message_history` keeps, for every change of a message's text, the text before it (who
    /// changed it, when), and for every soft delete (or restore) who did it and when. A trigger on `messages` writes it,
    /// so every writer is covered (the relay, msgctl, plain SQL). The writer names itself in the transaction-local
    /// setting `msgrelay.actor` (a user id; the statements of ``MessageRepository`` set it); a change made without it
    /// records no actor, only the database role that made it. History rows go with their message when it is removed for
    /// good (`msgctl purge`).
    ///
    /// Built without holding writers back on a full table: the new table and the trigger take `messages`' lock for a
    /// moment only (no scan, no rewrite), and the index `msgctl purge` looks deleted messages up with holds deleted
    /// messages only and is built `CONCURRENTLY`. Every step can run again after an interruption.
    static let history = Migration(
        id: 28, name: "message_history",
        steps: [
            .init(
                "create message_history and its trigger",
                """
                CREATE TABLE IF NOT EXISTS message_history (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    message_id UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    action TEXT NOT NULL,
                    changed_at TIMESTAMPTZ NOT NULL,
                    actor_id UUID,
                    database_role TEXT NOT NULL DEFAULT current_user,
                    previous_content TEXT,
                    previous_written_at TIMESTAMPTZ,

                    CONSTRAINT message_history_action CHECK (action IN ('edit', 'delete', 'restore')),
                    CONSTRAINT message_history_previous CHECK ((action = 'edit') = (previous_content IS NOT NULL))
                );
                CREATE INDEX IF NOT EXISTS idx_message_history_message ON message_history (message_id, id);

                CREATE OR REPLACE FUNCTION record_message_history()
                RETURNS TRIGGER AS $$
                DECLARE
                    actor_text TEXT := current_setting('msgrelay.actor', true);
                    actor UUID;
                BEGIN
                    IF actor_text ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
                        actor := actor_text::uuid;
                    END IF;
                    IF NEW.content IS DISTINCT FROM OLD.content THEN
                        INSERT INTO message_history (message_id, action, changed_at, actor_id, previous_content, previous_written_at)
                        VALUES (OLD.id, 'edit',
                                CASE WHEN NEW.edited_at IS NOT NULL AND NEW.edited_at IS DISTINCT FROM OLD.edited_at
                                     THEN NEW.edited_at ELSE now() END,
                                actor, OLD.content, coalesce(OLD.edited_at, OLD.created_at));
                    END IF;
                    IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN
                        INSERT INTO message_history (message_id, action, changed_at, actor_id)
                        VALUES (OLD.id, 'delete', NEW.deleted_at, actor);
                    ELSIF OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN
                        INSERT INTO message_history (message_id, action, changed_at, actor_id)
                        VALUES (OLD.id, 'restore', now(), actor);
                    END IF;
                    RETURN NULL;
                END;
                $$ LANGUAGE plpgsql;

                CREATE OR REPLACE TRIGGER trigger_record_message_history
                AFTER UPDATE OF content, deleted_at ON messages
                FOR EACH ROW
                WHEN (OLD.content IS DISTINCT FROM NEW.content OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
                EXECUTE FUNCTION record_message_history();
                """),
            .dropInvalidIndex("idx_messages_deleted_at"),
            .init(
                "build idx_messages_deleted_at (concurrently)",
                """
                CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_deleted_at ON messages (deleted_at) WHERE deleted_at IS NOT NULL;
                """),
        ])
}
