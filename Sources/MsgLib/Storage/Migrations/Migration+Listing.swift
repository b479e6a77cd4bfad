extension Migration {
    /// The admin's conversation list is ordered by latest activity: this index serves its first pages without
    /// sorting every conversation (`msgctl list` and `GET /api/conversations` at 10,000 conversations).
    static let conversationActivityIndex = Migration(
        id: 14, name: "idx_conversations_activity",
        sql: """
            CREATE INDEX idx_conversations_activity ON conversations(last_message_at DESC NULLS LAST, id DESC);
            """)
}
