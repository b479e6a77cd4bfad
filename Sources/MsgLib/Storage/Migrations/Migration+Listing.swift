extension Migration {
    /// The admin's conversation list is ordered by latest activity: this index serves its first pages without
    /// sorting every conversation (`msgctl list` and `GET /api/conversations` at 10,000 conversations).
    static let conversationActivityIndex = Migration(
        id: 14, name: "idx_conversations_activity",
        sql: """
            CREATE INDEX idx_conversations_activity ON conversations(last_message_at DESC NULLS LAST, id DESC);
            """)

    /// The admin's list from an index: active or archived first, in activity order, carrying what the list filters on,
    /// so that the entries a page skips can be read from the index (an index-only scan) rather than sorted from the
    /// table; the planner still sorts when the index has grown much larger than the table. It takes the place of
    /// `idx_conversations_activity`, which every list query now narrows by `archived_by_admin` anyway. Built
    /// `CONCURRENTLY` (writers go on meanwhile); each step can run again.
    static let listingIndex = Migration(
        id: 26, name: "idx_conversations_listing",
        steps: [
            .dropInvalidIndex("idx_conversations_listing"),
            .init(
                "build idx_conversations_listing",
                """
                CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_conversations_listing
                ON conversations (archived_by_admin, last_message_at DESC NULLS LAST, id DESC) INCLUDE (user_id, unread_count_admin);
                """),
            .init("drop idx_conversations_activity", "DROP INDEX CONCURRENTLY IF EXISTS idx_conversations_activity;"),
        ])
}
