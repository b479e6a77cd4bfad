extension Migration {
    /// What each inbox event is and refers to (`order_keys`: the channel and `ts` of a reply's thread and of the reply,
    /// of the message a reaction is on) and which of those it follows (`follows_keys`), so that events are handled in
    /// the order they arrived where it matters (``SlackEventOrder``): a reply waiting for its thread no longer lets a
    /// later reply in that thread pass it, nor a reaction removed pass its addition.
    static let slackInboxOrder = Migration(
        id: 42, name: "slack_inbox order keys",
        sql: """
            ALTER TABLE slack_inbox ADD COLUMN order_keys TEXT[] NOT NULL DEFAULT '{}', ADD COLUMN follows_keys TEXT[] NOT NULL DEFAULT '{}';
            """)
}
