extension Migration {
    /// The key a client sent a message with (`client_id` of a `send_message` frame, the `Idempotency-Key` header of
    /// `POST /api/messages`): a second send with the same key by the same sender finds the first message instead of
    /// making another. Kept as long as the message.
    ///
    /// Built without holding writers back on a full table: the column is added empty (no rewrite), its check is added
    /// `NOT VALID` and validated apart (no write lock while the table is read), and the unique index, which holds only
    /// keyed messages, is built `CONCURRENTLY`. Every step can run again after an interruption.
    static let clientKeys = Migration(
        id: 25, name: "message_client_keys",
        steps: [
            .init(
                "add the client_key column and its check (not valid)",
                """
                ALTER TABLE messages ADD COLUMN IF NOT EXISTS client_key TEXT;
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'messages_client_key_length') THEN
                        ALTER TABLE messages ADD CONSTRAINT messages_client_key_length
                            CHECK (client_key IS NULL OR octet_length(client_key) BETWEEN 1 AND 255) NOT VALID;
                    END IF;
                END
                $$;
                """),
            .init("validate the client_key check", "ALTER TABLE messages VALIDATE CONSTRAINT messages_client_key_length;"),
            .dropInvalidIndex("idx_messages_client_key"),
            .init(
                "build idx_messages_client_key (concurrently)",
                """
                CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_client_key ON messages (sender_id, client_key)
                WHERE client_key IS NOT NULL;
                """),
        ])
}
