extension Migration {
    /// Each message records the transaction that inserted it, so relays and resuming clients follow commit order
    /// (see ``CommitSnapshot``); `created_at` is taken at the insert (after the conversation row is locked), not at
    /// the start of the transaction, so within a conversation it follows commit order as the ids do.
    ///
    /// Rows stored before have no transaction (NULL): they count as committed long ago. Adding the column and its
    /// default rewrites nothing; only the index reads the table.
    static let commitOrder = Migration(
        id: 16, name: "messages.txid (commit order)",
        sql: """
            ALTER TABLE messages ADD COLUMN txid xid8;
            ALTER TABLE messages ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
            ALTER TABLE messages ALTER COLUMN created_at SET DEFAULT clock_timestamp();
            CREATE INDEX idx_messages_txid ON messages(txid) WHERE txid IS NOT NULL;
            """)
}

extension Migration {
    /// New messages are no longer announced by an insert trigger: a NOTIFY in the inserting transaction holds
    /// PostgreSQL's notification lock through the commit's disk flush, so every send would wait for the others'.
    /// Relays and msgctl announce after the commit; relays also sweep every second, which covers plain SQL inserts.
    static let announceAfterCommit = Migration(
        id: 18, name: "messages: no NOTIFY inside the insert",
        sql: """
            DROP TRIGGER IF EXISTS trigger_notify_message_created ON messages;
            DROP FUNCTION IF EXISTS notify_message_created();
            """)
}
