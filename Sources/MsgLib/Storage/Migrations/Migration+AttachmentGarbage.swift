extension Migration {
    /// Files whose rows are gone: a user, conversation or message deleted in SQL takes its attachments' rows with it
    /// (`ON DELETE CASCADE`), and a file the store failed to remove had no row left to say so. A trigger queues the
    /// store key of every attachment row deleted (but those already purged); purges queue theirs; the relays' collector
    /// removes the files and forgets the keys (``AttachmentRepository/leaseGarbage(_:limit:)``).
    static let attachmentGarbage = Migration(
        id: 37, name: "attachment_garbage",
        sql: """
            CREATE TABLE attachment_garbage (
                store_key TEXT PRIMARY KEY,
                due_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            CREATE INDEX idx_attachment_garbage_due ON attachment_garbage (due_at);
            CREATE FUNCTION queue_attachment_garbage() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO attachment_garbage (store_key) VALUES (OLD.store_key) ON CONFLICT DO NOTHING;
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER trigger_queue_attachment_garbage AFTER DELETE ON attachments
                FOR EACH ROW WHEN (OLD.state <> 'purged') EXECUTE FUNCTION queue_attachment_garbage();
            """)
}
