extension Migration {
    /// A stored `tsvector` of each message with a GIN index of its own, so search ranks without parsing text again
    /// (docs/search.md).
    ///
    /// Built without holding writers back for long on a full table: the column is added empty (no table rewrite)
    /// with a trigger that fills it for new and edited messages, existing rows are filled in committed batches of
    /// 5,000, and the index is built with `CREATE INDEX CONCURRENTLY`. A stored generated column would be simpler
    /// but rewrites the table under an ACCESS EXCLUSIVE lock (41 s for 1,000,000 messages on the benchmark
    /// machine, docs/BENCHMARKS.md). Every step can run again after an interruption: the backfill only touches rows
    /// still empty, and an index left invalid by an interrupted concurrent build is dropped and built again.
    ///
    /// The index leaves deleted messages out (search never returns them). `idx_messages_content_search` (migration 4)
    /// is no longer used by the application: migration 32 drops it.
    static let searchVector = Migration(
        id: 12, name: "messages_search_vector",
        steps: [
            .init(
                "add the search_vector column and its trigger",
                """
                ALTER TABLE messages ADD COLUMN IF NOT EXISTS search_vector tsvector;

                CREATE OR REPLACE FUNCTION messages_search_vector()
                RETURNS TRIGGER AS $$
                BEGIN
                    NEW.search_vector := to_tsvector('english', NEW.content);
                    RETURN NEW;
                END;
                $$ LANGUAGE plpgsql;

                CREATE OR REPLACE TRIGGER trigger_messages_search_vector
                BEFORE INSERT OR UPDATE OF content ON messages
                FOR EACH ROW
                EXECUTE FUNCTION messages_search_vector();
                """),
            .init(
                "fill search_vector in batches of 5,000",
                """
                DO $$
                DECLARE
                    done_through uuid := '00000000-0000-0000-0000-000000000000';
                    batch_end uuid;
                BEGIN
                    LOOP
                        SELECT id INTO batch_end
                        FROM (SELECT id FROM messages WHERE id > done_through ORDER BY id LIMIT 5000) batch
                        ORDER BY id DESC LIMIT 1;
                        EXIT WHEN batch_end IS NULL;
                        UPDATE messages SET search_vector = to_tsvector('english', content)
                        WHERE id > done_through AND id <= batch_end AND search_vector IS NULL;
                        done_through := batch_end;
                        COMMIT;
                    END LOOP;
                END
                $$;
                """),
            .dropInvalidIndex("idx_messages_search_vector"),
            .init(
                "build idx_messages_search_vector (concurrently)",
                """
                CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_search_vector ON messages
                USING gin (search_vector) WHERE deleted_at IS NULL;
                """),
            .init("analyze messages", "ANALYZE messages;"),
        ])
}
