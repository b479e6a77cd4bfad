extension Migration {
    /// The outbox's references to push subscriptions and reactors, indexed: deleting a subscription (unsubscribed,
    /// gone, the oldest of a user's evicted) or a user deletes their jobs, which read the whole outbox without these
    /// (given-up jobs stay until their message is purged). Partial: only push and reaction jobs have them. Built
    /// `CONCURRENTLY` (writers go on meanwhile); each step can run again.
    static let outboxReferenceIndexes = Migration(
        id: 38, name: "notification_outbox: subscription and reactor indexes",
        steps: [
            .dropInvalidIndex("idx_notification_outbox_subscription"),
            .init(
                "build idx_notification_outbox_subscription (concurrently)",
                """
                CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notification_outbox_subscription ON notification_outbox (subscription_id)
                WHERE subscription_id IS NOT NULL;
                """),
            .dropInvalidIndex("idx_notification_outbox_reactor"),
            .init(
                "build idx_notification_outbox_reactor (concurrently)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notification_outbox_reactor ON notification_outbox (reactor_id) WHERE reactor_id IS NOT NULL;"
            ),
        ])
}
