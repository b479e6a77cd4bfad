extension Migration {
    /// The per-user rate limits of `POST /api/push/subscribe` and `POST /api/push/test`: two more GCRA columns
    /// in the per-user limiter row (``RateLimitRepository``), so every relay applies the same limits. Nullable
    /// columns without a default: adding them rewrites nothing.
    static let pushRateLimits = Migration(
        id: 19, name: "sender_rate_limits: push subscribe and test",
        sql: """
            ALTER TABLE sender_rate_limits ADD COLUMN push_subscribe_tat TIMESTAMPTZ, ADD COLUMN push_test_tat TIMESTAMPTZ;
            """)
}
