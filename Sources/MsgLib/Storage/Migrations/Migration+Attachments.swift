extension Migration {
    /// Attachments: one row per upload, its owner, its file in the store (`store_key`, made by the relay), what the
    /// client declared (name, type, size) and, once checked and attached, the message and conversation it belongs to
    /// with the image's size. `messages.attachments` keeps a copy of the attached files' public fields (JSON, null when
    /// there are none), written in the sending transaction, so every read of messages gets them without another query.
    /// The per-user limits (pending uploads, creation rate) use a GCRA column of `sender_rate_limits`. Nullable columns
    /// without a default: adding them rewrites nothing. A message with attachments may have empty text; existing rows
    /// satisfy the stricter check they were written under, so the new one is added without a scan (`NOT VALID` still
    /// applies to every new or changed row).
    static let attachments = Migration(
        id: 24, name: "attachments",
        sql: """
            CREATE TABLE attachments (
                id UUID PRIMARY KEY DEFAULT uuid_generate_v7(),
                owner_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                conversation_id UUID REFERENCES conversations(id) ON DELETE CASCADE,
                message_id UUID REFERENCES messages(id) ON DELETE CASCADE,
                position SMALLINT,
                store_key TEXT NOT NULL UNIQUE,
                filename TEXT NOT NULL CHECK (octet_length(filename) BETWEEN 1 AND 255),
                content_type TEXT NOT NULL CHECK (octet_length(content_type) BETWEEN 1 AND 255),
                size BIGINT NOT NULL CHECK (size >= 0),
                width INTEGER,
                height INTEGER,
                state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'attached', 'purged')),
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                attached_at TIMESTAMPTZ,
                checked_at TIMESTAMPTZ,
                CONSTRAINT attachments_attached_to_message CHECK ((state = 'pending') = (message_id IS NULL))
            );
            CREATE INDEX idx_attachments_pending ON attachments (created_at) WHERE state = 'pending';
            CREATE INDEX idx_attachments_owner_pending ON attachments (owner_id) WHERE state = 'pending';
            CREATE INDEX idx_attachments_message ON attachments (message_id, position) WHERE message_id IS NOT NULL;
            ALTER TABLE messages ADD COLUMN attachments JSONB;
            ALTER TABLE sender_rate_limits ADD COLUMN attachment_tat TIMESTAMPTZ;
            ALTER TABLE messages DROP CONSTRAINT messages_content_length,
                ADD CONSTRAINT messages_content_length
                CHECK (char_length(content) <= 10000 AND (char_length(content) > 0 OR attachments IS NOT NULL)) NOT VALID;
            """)
}
