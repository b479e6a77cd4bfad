extension Migration {
    /// The surface each message came in on (``MessageSource``); messages written before it have none.
    ///
    /// Built without holding writers back on a full table: the column is added empty (no rewrite), and its check is
    /// added `NOT VALID` and validated apart (no write lock while the table is read). Every step can run again.
    static let messageSources = Migration(
        id: 27, name: "message_sources",
        steps: [
            .init(
                "add the source column and its check (not valid)",
                """
                ALTER TABLE messages ADD COLUMN IF NOT EXISTS source TEXT;
                DO $$
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'messages_source_known') THEN
                        ALTER TABLE messages ADD CONSTRAINT messages_source_known
                            CHECK (source IN ('rest', 'websocket', 'slack', 'msgctl')) NOT VALID;
                    END IF;
                END
                $$;
                """),
            .init("validate the source check", "ALTER TABLE messages VALIDATE CONSTRAINT messages_source_known;"),
        ])
}
