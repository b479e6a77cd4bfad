extension Migration {
    /// Replaces `idx_messages_search_vector` by `idx_messages_search_terms`, a GIN index whose entries name each word of
    /// a message twice: alone (`invoic`), and with the week the message was written in (`2970 invoic`, whole weeks since
    /// 1970-01-01 00:00 UTC by `search_week`). The plain entries serve what the old index served; the week's entries let
    /// a search over all conversations read one week's matches at a time, newest week first, and stop once it has
    /// enough, instead of reading every match of a common word (docs/search.md).
    ///
    /// The index's vectors carry no positions. No lexeme of `to_tsvector` contains a space, so the two kinds cannot
    /// meet. `search_terms` is a plain expression that PostgreSQL inlines into the index and into each insert: it
    /// writes the week before each lexeme in the vector's text form (`'a' 'b'` becomes `'2970 a' '2970 b'`). A lexeme
    /// holds at most 2,047 bytes, so a vector whose text passes 2,000 bytes goes through `search_week_entries`
    /// instead, which leaves out lexemes over 2,000 bytes. (A function body with a subquery for every vector, planned
    /// again at every insert, cut the rate of pgbench's plain INSERT by a third or more.)
    /// `search_terms_query` turns a parsed query into what the index can answer for one week (or, with week NULL,
    /// through the plain entries): its part without negations (`querytree`), each phrase as "all of these words", each
    /// word given the week. That finds every match and perhaps more; the search then tests the stored vector with the
    /// query itself.
    ///
    /// New entries wait in GIN's pending list (`fastupdate`) until it passes `gin_pending_list_limit`, and every scan of
    /// the index reads that whole list: once per week a search looks at. At PostgreSQL's default of 4 MB, a rare word
    /// over a year of weeks read 18,000 pages of it (60 ms); at 256 kB a scan reads at most 32 pages, and pgbench's
    /// INSERT rate stayed within the noise of the default's (turning `fastupdate` off cost 10 to 30 %).
    ///
    /// Built `CONCURRENTLY` before the old index is dropped `CONCURRENTLY`: writers and searches go on meanwhile; each
    /// step can run again.
    static let searchTerms = Migration(
        id: 34, name: "idx_messages_search_terms",
        steps: [
            .init(
                "create the search-term functions",
                #"""
                CREATE OR REPLACE FUNCTION search_week(ts timestamptz) RETURNS integer
                LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
                AS $$ SELECT floor(extract(epoch FROM ts AT TIME ZONE 'UTC') / 604800)::integer $$;

                CREATE OR REPLACE FUNCTION search_week_entries(v tsvector, week text) RETURNS tsvector
                LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
                AS $$ BEGIN
                    RETURN array_to_tsvector(ARRAY(
                        SELECT week || ' ' || l FROM unnest(tsvector_to_array(v)) AS l WHERE octet_length(l) <= 2000));
                END $$;

                CREATE OR REPLACE FUNCTION search_terms(v tsvector, ts timestamptz) RETURNS tsvector
                LANGUAGE sql IMMUTABLE PARALLEL SAFE
                AS $$ SELECT strip(v) || CASE
                    WHEN length(v) = 0 THEN ''::tsvector
                    WHEN octet_length(strip(v)::text) <= 2000 THEN
                        ('''' || search_week(ts)::text || ' '
                         || substr(replace(strip(v)::text, ''' ''', ''' ''' || search_week(ts)::text || ' '), 2))::tsvector
                    ELSE search_week_entries(v, search_week(ts)::text)
                END $$;

                CREATE OR REPLACE FUNCTION search_terms_query(q tsquery, week integer) RETURNS tsquery
                LANGUAGE sql IMMUTABLE PARALLEL SAFE
                AS $$ SELECT regexp_replace(regexp_replace(querytree(q), '<(-|[0-9]+)>', '&', 'g'),
                                            '''((?:[^'']|'''')*)''', '''' || coalesce(week::text || ' ', '') || '\1''', 'g')::tsquery $$;
                """#),
            .dropInvalidIndex("idx_messages_search_terms"),
            .init(
                "build idx_messages_search_terms (concurrently)",
                """
                CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_search_terms ON messages
                USING gin (search_terms(search_vector, created_at)) WITH (gin_pending_list_limit = 256)
                WHERE deleted_at IS NULL;
                """),
            // Statistics of the index's expression: without them the planner guesses that any word matches 0.5% of
            // the messages (50,000 of 10,000,000) and intersects a user's whole conversation with a rare word's entries.
            .init("ANALYZE messages (statistics of the new index's words)", "ANALYZE messages;"),
            .init(
                "drop idx_messages_search_vector (concurrently)", "DROP INDEX CONCURRENTLY IF EXISTS idx_messages_search_vector;"),
        ])
}
