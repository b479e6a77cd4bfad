extension Migration {
    /// Drops two indexes of `messages` that every insert paid for and no query uses:
    /// - `idx_messages_content_search`, the expression index of `to_tsvector('english', content)` whose work the stored
    ///   `search_vector` and its index took over (migration 12): each insert computed the vector twice, and the index
    ///   takes about 55 MB per million messages;
    /// - `idx_messages_sender_id`, whose one column leads `idx_messages_sender_created`, which serves every lookup by
    ///   sender (the rate limits of old, deleting a user's messages).
    ///
    /// `DROP INDEX CONCURRENTLY`: writers and readers go on meanwhile; each step can run again.
    static let redundantIndexes = Migration(
        id: 32, name: "drop_redundant_message_indexes",
        steps: [
            .init(
                "drop idx_messages_content_search (concurrently)", "DROP INDEX CONCURRENTLY IF EXISTS idx_messages_content_search;"),
            .init("drop idx_messages_sender_id (concurrently)", "DROP INDEX CONCURRENTLY IF EXISTS idx_messages_sender_id;"),
        ])
}
