extension Migration {
    /// Read messages by the time they were read, so that a listener catching up after a lost connection reads the
    /// receipts it missed instead of every message (a sequential scan of the table: 2.2 s at 10,000,000 messages, with
    /// live delivery waiting behind it). Partial, on read messages only: a new message is unread and adds no entry, so
    /// sends do not pay for it. Marking a message read already writes its new version into every index of `messages`
    /// (`read_at` is a column of `idx_messages_unread`); it writes one entry more here. Built `CONCURRENTLY` (writers
    /// go on meanwhile); each step can run again.
    static let readTimeIndex = Migration(
        id: 33, name: "idx_messages_read_at",
        steps: [
            .dropInvalidIndex("idx_messages_read_at"),
            .init(
                "build idx_messages_read_at (concurrently)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_messages_read_at ON messages (read_at) WHERE read_at IS NOT NULL;"),
        ])
}
