extension Migration {
    /// The per-user rate limit of edits: one more GCRA column in the per-user limiter row (``RateLimitRepository``), so
    /// every relay applies the same limit. A nullable column without a default: adding it rewrites nothing.
    static let editRateLimits = Migration(
        id: 35, name: "sender_rate_limits: edits",
        sql: """
            ALTER TABLE sender_rate_limits ADD COLUMN edit_tat TIMESTAMPTZ;
            """)
}
