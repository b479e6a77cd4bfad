extension Migration {
    /// The sending rate limits' state: per sender, for each window, the GCRA "theoretical arrival time"
    /// (``RateLimitRepository``). One small row per sender, updated in the statement that inserts the message.
    static let senderRateLimits = Migration(
        id: 17, name: "sender_rate_limits",
        sql: """
            CREATE TABLE sender_rate_limits (
                sender_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
                minute_tat TIMESTAMPTZ,
                hour_tat TIMESTAMPTZ,
                day_tat TIMESTAMPTZ
            ) WITH (fillfactor = 50);
            """)
}
