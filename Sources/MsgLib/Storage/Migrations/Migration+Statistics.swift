extension Migration {
    /// Messages by creation time, so that `msgctl stats` reads only its window's messages instead of the whole table
    /// (docs/statistics.md). A B-tree rather than a BRIN index: read receipts and purges leave free space all over the
    /// table, new messages fill it, and a BRIN index then names most of the table for any recent window. New entries go
    /// to the index's right edge; sends pay about 2% for it. Built `CONCURRENTLY` (writers go on meanwhile); each step
    /// can run again.
    static let creationTimeIndex = Migration(
        id: 31, name: "idx_messages_created_at",
        steps: [
            .dropInvalidIndex("idx_messages_created_at"),
            .init(
                "build idx_messages_created_at (concurrently)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_created_at ON messages (created_at);"),
        ])
}
