extension Migration {
    /// The notification outbox: one row per notification to send, written in the transaction that creates the
    /// message, so a notification is never lost between commit and delivery.
    ///
    /// A push job names the subscription it goes to (deleting the subscription drops its pending jobs); a Slack
    /// job names only the message. A job leaves the table when delivered; one given up keeps `failed_at` and
    /// `last_error` for the admin to see.
    static let notificationOutbox = Migration(
        id: 13, name: "notification_outbox",
        sql: """
            CREATE TABLE notification_outbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                kind TEXT NOT NULL,
                message_id UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                subscription_id UUID REFERENCES push_subscriptions(id) ON DELETE CASCADE,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                available_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                failed_at TIMESTAMPTZ,

                CONSTRAINT notification_outbox_kind CHECK (kind IN ('push', 'slack')),
                CONSTRAINT notification_outbox_push_subscription CHECK ((kind = 'push') = (subscription_id IS NOT NULL))
            );

            CREATE INDEX idx_notification_outbox_due ON notification_outbox(available_at) WHERE failed_at IS NULL;
            CREATE INDEX idx_notification_outbox_message ON notification_outbox(message_id);
            """)

    /// The outbox's due index in the order workers claim jobs (oldest due first, then by id), so a claim reads the
    /// first 32 entries instead of sorting every due job. The outbox holds only jobs not yet delivered, so building
    /// it in the migration's transaction blocks new jobs for a moment only.
    static let outboxClaimOrder = Migration(
        id: 15, name: "idx_notification_outbox_due (available_at, id)",
        sql: """
            DROP INDEX idx_notification_outbox_due;
            CREATE INDEX idx_notification_outbox_due ON notification_outbox(available_at, id) WHERE failed_at IS NULL;
            """)
}
