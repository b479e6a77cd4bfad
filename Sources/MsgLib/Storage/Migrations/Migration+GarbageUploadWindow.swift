extension Migration {
    /// When each queued key's upload URL was issued (the attachment's `created_at`): a file removed while that URL may
    /// still be used (a pending upload whose user was deleted, a file purged soon after it was sent) could be uploaded
    /// again through it, with no row left to find it. The collector removes such a key's file once more after the URL
    /// has expired (``AttachmentRepository/forgetGarbage(_:keys:uploadWindow:)``).
    static let garbageUploadWindow = Migration(
        id: 40, name: "attachment_garbage.upload_from",
        sql: """
            ALTER TABLE attachment_garbage ADD COLUMN upload_from TIMESTAMPTZ;
            CREATE OR REPLACE FUNCTION queue_attachment_garbage() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO attachment_garbage (store_key, upload_from) VALUES (OLD.store_key, OLD.created_at) ON CONFLICT DO NOTHING;
                RETURN NULL;
            END
            $$;
            """)
}
