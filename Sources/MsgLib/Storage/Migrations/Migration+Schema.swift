/// Migrations 1 to 11: the messaging schema (users, conversations, messages, push subscriptions) and its triggers.
extension Migration {
    /// `uuid_generate_v7()` (RFC 9562 layout) when the server has none.
    ///
    /// 48 bits of Unix milliseconds, then 12 bits of sub-millisecond fraction (RFC 9562 method 3), then 62
    /// random bits. A per-session counter keeps values strictly increasing within one backend even when the
    /// clock does not move, so ids from one connection sort in creation order.
    static let uuidV7Function = Migration(
        id: 1, name: "uuid_generate_v7",
        sql: #"""
            DO $do$
            BEGIN
                IF NOT EXISTS (
                    SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE p.proname = 'uuid_generate_v7' AND p.pronargs = 0
                      AND n.nspname = ANY (current_schemas(false))
                ) THEN
                    EXECUTE $fn$
                    CREATE FUNCTION uuid_generate_v7() RETURNS uuid
                    LANGUAGE plpgsql VOLATILE PARALLEL SAFE AS $body$
                    DECLARE
                        now_us bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
                        tick bigint := (now_us / 1000) * 4096 + ((now_us % 1000) * 4096) / 1000;
                        last_tick bigint := coalesce(nullif(current_setting('msglib.uuidv7_tick', true), '')::bigint, 0);
                        bytes bytea;
                    BEGIN
                        IF tick <= last_tick THEN
                            tick := last_tick + 1;
                        END IF;
                        PERFORM set_config('msglib.uuidv7_tick', tick::text, false);
                        bytes := uuid_send(gen_random_uuid());
                        bytes := overlay(bytes PLACING substring(int8send(tick / 4096) FROM 3 FOR 6) FROM 1 FOR 6);
                        bytes := set_byte(bytes, 6, (112 | ((tick % 4096) >> 8))::int);
                        bytes := set_byte(bytes, 7, ((tick % 4096) & 255)::int);
                        RETURN encode(bytes, 'hex')::uuid;
                    END
                    $body$;
                    $fn$;
                END IF;
            END
            $do$;
            """#)

    /// The contract's `users` table, when the site has none. An existing table is kept as it is.
    static let users = Migration(
        id: 2, name: "users",
        sql: """
            CREATE TABLE IF NOT EXISTS users (
                id UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
                username TEXT UNIQUE NOT NULL,
                display_name TEXT NOT NULL,
                slug TEXT UNIQUE NOT NULL,
                is_admin BOOLEAN NOT NULL DEFAULT false,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            """)

    static let conversations = Migration(
        id: 3, name: "conversations",
        sql: """
            CREATE TABLE conversations (
                id UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
                user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
                updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
                last_message_at TIMESTAMPTZ,
                unread_count_user INTEGER NOT NULL DEFAULT 0,
                unread_count_admin INTEGER NOT NULL DEFAULT 0,
                archived_by_admin BOOLEAN NOT NULL DEFAULT false,
                archived_at TIMESTAMPTZ,

                CONSTRAINT conversations_user_id_unique UNIQUE(user_id)
            );

            CREATE INDEX idx_conversations_user_id ON conversations(user_id);
            CREATE INDEX idx_conversations_last_message_at ON conversations(last_message_at DESC);
            CREATE INDEX idx_conversations_archived ON conversations(archived_by_admin, last_message_at DESC);
            """)

    static let messages = Migration(
        id: 4, name: "messages",
        sql: """
            CREATE TABLE messages (
                id UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
                conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                sender_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                content TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
                read_at TIMESTAMPTZ,
                edited_at TIMESTAMPTZ,
                deleted_at TIMESTAMPTZ,

                CONSTRAINT messages_content_length CHECK (char_length(content) > 0 AND char_length(content) <= 10000)
            );

            CREATE INDEX idx_messages_conversation_id ON messages(conversation_id, created_at DESC);
            CREATE INDEX idx_messages_sender_id ON messages(sender_id);
            CREATE INDEX idx_messages_unread ON messages(conversation_id, read_at) WHERE read_at IS NULL;

            -- Full-text search index
            CREATE INDEX idx_messages_content_search ON messages USING gin(to_tsvector('english', content));
            """)

    static let pushSubscriptions = Migration(
        id: 5, name: "push_subscriptions",
        sql: """
            CREATE TABLE push_subscriptions (
                id UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
                user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                endpoint TEXT NOT NULL,
                p256dh_key TEXT NOT NULL,
                auth_key TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
                last_used_at TIMESTAMPTZ,

                CONSTRAINT push_subscriptions_endpoint_unique UNIQUE(endpoint)
            );

            CREATE INDEX idx_push_subscriptions_user_id ON push_subscriptions(user_id);
            """)

    static let admins = Migration(
        id: 6, name: "users_is_admin",
        sql: """
            ALTER TABLE users ADD COLUMN IF NOT EXISTS is_admin BOOLEAN NOT NULL DEFAULT false;
            CREATE INDEX IF NOT EXISTS idx_users_is_admin ON users(is_admin) WHERE is_admin = true;
            """)

    static let conversationTrigger = Migration(
        id: 7, name: "trigger_update_conversation_on_message",
        sql: """
            CREATE OR REPLACE FUNCTION update_conversation_on_message()
            RETURNS TRIGGER AS $$
            DECLARE
                is_sender_admin BOOLEAN;
            BEGIN
                -- Check if sender is admin
                SELECT is_admin INTO is_sender_admin
                FROM users
                WHERE id = NEW.sender_id;

                -- Update conversation metadata
                UPDATE conversations
                SET
                    last_message_at = NEW.created_at,
                    updated_at = NOW(),
                    unread_count_user = CASE
                        WHEN is_sender_admin THEN unread_count_user + 1
                        ELSE unread_count_user
                    END,
                    unread_count_admin = CASE
                        WHEN is_sender_admin THEN unread_count_admin
                        ELSE unread_count_admin + 1
                    END
                WHERE id = NEW.conversation_id;

                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;

            CREATE TRIGGER trigger_update_conversation_on_message
            AFTER INSERT ON messages
            FOR EACH ROW
            EXECUTE FUNCTION update_conversation_on_message();
            """)

    static let readTrigger = Migration(
        id: 8, name: "trigger_update_conversation_on_message_read",
        sql: """
            CREATE OR REPLACE FUNCTION update_conversation_on_message_read()
            RETURNS TRIGGER AS $$
            DECLARE
                is_sender_admin BOOLEAN;
            BEGIN
                -- Only proceed if read_at was NULL and is now set
                IF OLD.read_at IS NULL AND NEW.read_at IS NOT NULL THEN
                    -- Check if sender is admin
                    SELECT is_admin INTO is_sender_admin
                    FROM users
                    WHERE id = NEW.sender_id;

                    -- Decrement appropriate unread count
                    UPDATE conversations
                    SET
                        unread_count_user = CASE
                            WHEN is_sender_admin THEN GREATEST(0, unread_count_user - 1)
                            ELSE unread_count_user
                        END,
                        unread_count_admin = CASE
                            WHEN is_sender_admin THEN unread_count_admin
                            ELSE GREATEST(0, unread_count_admin - 1)
                        END,
                        updated_at = NOW()
                    WHERE id = NEW.conversation_id;
                END IF;

                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;

            CREATE TRIGGER trigger_update_conversation_on_message_read
            AFTER UPDATE ON messages
            FOR EACH ROW
            EXECUTE FUNCTION update_conversation_on_message_read();
            """)

    /// Soft-deleting an unread message lowers the counter that counted it, so deleted messages vanish from
    /// unread counts as they do from lists (the design's triggers only handle insert and read).
    static let deleteTrigger = Migration(
        id: 9, name: "trigger_update_conversation_on_message_delete",
        sql: """
            CREATE OR REPLACE FUNCTION update_conversation_on_message_delete()
            RETURNS TRIGGER AS $$
            DECLARE
                is_sender_admin BOOLEAN;
            BEGIN
                IF OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL AND NEW.read_at IS NULL THEN
                    SELECT is_admin INTO is_sender_admin FROM users WHERE id = NEW.sender_id;
                    UPDATE conversations
                    SET
                        unread_count_user = CASE
                            WHEN is_sender_admin THEN GREATEST(0, unread_count_user - 1)
                            ELSE unread_count_user
                        END,
                        unread_count_admin = CASE
                            WHEN is_sender_admin THEN unread_count_admin
                            ELSE GREATEST(0, unread_count_admin - 1)
                        END,
                        updated_at = NOW()
                    WHERE id = NEW.conversation_id;
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;

            CREATE TRIGGER trigger_update_conversation_on_message_delete
            AFTER UPDATE OF deleted_at ON messages
            FOR EACH ROW
            EXECUTE FUNCTION update_conversation_on_message_delete();
            """)

    /// Rate limits count one sender's recent messages; this index makes that a short range scan.
    static let senderTimeIndex = Migration(
        id: 10, name: "idx_messages_sender_created",
        sql: """
            CREATE INDEX idx_messages_sender_created ON messages(sender_id, created_at DESC);
            """)

    /// Every new message, whoever inserts it (relay, msgctl, SQL), announces its id on `msgrelay_events`; each
    /// relay listens and delivers the row to its sockets. NOTIFY is sent at commit, in commit order.
    static let messageNotifyTrigger = Migration(
        id: 11, name: "trigger_notify_message_created",
        sql: """
            CREATE OR REPLACE FUNCTION notify_message_created()
            RETURNS TRIGGER AS $$
            BEGIN
                PERFORM pg_notify('msgrelay_events', json_build_object('k', 'm', 'id', NEW.id, 'c', NEW.conversation_id)::text);
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;

            CREATE TRIGGER trigger_notify_message_created
            AFTER INSERT ON messages
            FOR EACH ROW
            EXECUTE FUNCTION notify_message_created();
            """)
}
