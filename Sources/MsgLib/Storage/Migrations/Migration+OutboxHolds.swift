extension Migration {
    /// How long Slack asked to be left alone, by kind of job: a `Retry-After` in one of its answers holds every job of
    /// that kind, on every relay, until it has passed (``OutboxRepository/hold(_:kind:seconds:)``). One row per kind at
    /// most. A new table: nothing to rewrite.
    static let outboxHolds = Migration(
        id: 50, name: "outbox_holds",
        sql: """
            CREATE TABLE outbox_holds (
                kind TEXT PRIMARY KEY,
                until TIMESTAMPTZ NOT NULL
            );
            """)
}
