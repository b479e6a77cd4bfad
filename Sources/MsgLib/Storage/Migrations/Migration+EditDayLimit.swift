extension Migration {
    /// Edits per day, beside edits per minute: each edit keeps the text it replaces for as long as the message, so the
    /// minute's limit alone let one user store some 14,000 old versions a day. One more GCRA column, without a default:
    /// adding it rewrites nothing.
    static let editDayLimit = Migration(
        id: 44, name: "sender_rate_limits: edits per day",
        sql: """
            ALTER TABLE sender_rate_limits ADD COLUMN edit_day_tat TIMESTAMPTZ;
            """)
}
