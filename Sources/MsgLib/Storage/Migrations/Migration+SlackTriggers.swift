extension Migration {
    /// Slack's `trigger_id`s of the button clicks carried out, kept for a while after the signature's 5 minutes: the
    /// same click sent again (by a proxy, or replayed) changes nothing a second time.
    static let slackSpentTriggers = Migration(
        id: 36, name: "slack_spent_triggers",
        sql: """
            CREATE TABLE slack_spent_triggers (
                trigger_id TEXT PRIMARY KEY,
                expires_at TIMESTAMPTZ NOT NULL
            );
            """)
}
