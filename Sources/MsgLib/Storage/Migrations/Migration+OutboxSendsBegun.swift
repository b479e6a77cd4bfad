extension Migration {
    /// Slack posts whose requests a round began to send, recorded outside that round (which holds the jobs' row locks
    /// until Slack answers, and rolls back if its relay dies or loses the database meanwhile): a job found here is looked
    /// for in Slack before it is posted again, even when no attempt of it was ever recorded. The rows go with their job.
    /// A new table: nothing to rewrite.
    static let outboxSendsBegun = Migration(
        id: 46, name: "outbox_sends_begun",
        sql: """
            CREATE TABLE outbox_sends_begun (
                job_id BIGINT PRIMARY KEY REFERENCES notification_outbox(id) ON DELETE CASCADE,
                begun_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            """)
}
