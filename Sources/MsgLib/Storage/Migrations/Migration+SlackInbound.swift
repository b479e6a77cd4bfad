extension Migration {
    /// Requests from Slack: which Slack user acts as which admin (`slack_links`, one admin per Slack user), and the
    /// durable inbox of accepted Events API events (`slack_inbox`), keyed by Slack's `event_id` so that an event Slack
    /// delivers twice is stored and handled once.
    ///
    /// An inbox row is `pending` until a relay handles it (`done`), finds nothing to do (`ignored`, with the reason in
    /// `last_error`), or gives it up after repeated failures (`failed`); `available_at` is when a pending row is next
    /// tried.
    static let slackInbound = Migration(
        id: 22, name: "slack_links, slack_inbox",
        sql: """
            CREATE TABLE slack_links (
                slack_user_id TEXT PRIMARY KEY,
                admin_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                linked_by TEXT NOT NULL,
                linked_at TIMESTAMPTZ NOT NULL DEFAULT now(),

                CONSTRAINT slack_links_user_id CHECK (slack_user_id ~ '^[UW][A-Z0-9]{2,31}$')
            );
            CREATE INDEX idx_slack_links_admin ON slack_links(admin_id);

            CREATE TABLE slack_inbox (
                event_id TEXT PRIMARY KEY,
                received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                payload TEXT NOT NULL,
                state TEXT NOT NULL DEFAULT 'pending',
                attempts INTEGER NOT NULL DEFAULT 0,
                available_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                last_error TEXT,
                processed_at TIMESTAMPTZ,

                CONSTRAINT slack_inbox_state CHECK (state IN ('pending', 'done', 'ignored', 'failed'))
            );
            CREATE INDEX idx_slack_inbox_due ON slack_inbox(available_at, received_at) WHERE state = 'pending';
            CREATE INDEX idx_slack_inbox_processed ON slack_inbox(processed_at) WHERE state <> 'pending';
            """)
}
