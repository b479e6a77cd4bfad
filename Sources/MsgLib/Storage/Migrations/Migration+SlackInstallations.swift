extension Migration {
    /// The Slack app's installation made through OAuth, and the spent nonces of install links.
    ///
    /// One installation at most (`singleton`): a new install replaces the previous row, so a replaced bot token is
    /// not kept. The bot token is stored only encrypted: `bot_token_sealed` is nonce (12 bytes) || AES-256-GCM
    /// ciphertext || tag (16 bytes) under SLACK_TOKEN_KEY, with the team id as associated data; `token_key_id`
    /// names that key (an HMAC under it, not the key) and `token_format` the layout, so a key can be rotated.
    static let slackInstallations = Migration(
        id: 23, name: "slack_installations, slack_oauth_nonces",
        sql: """
            CREATE TABLE slack_installations (
                singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
                team_id TEXT NOT NULL,
                team_name TEXT NOT NULL,
                bot_user_id TEXT NOT NULL,
                bot_token_sealed BYTEA NOT NULL,
                token_key_id TEXT NOT NULL,
                token_format SMALLINT NOT NULL DEFAULT 1,
                channel_id TEXT NOT NULL,
                channel_name TEXT,
                scopes TEXT NOT NULL,
                app_id TEXT,
                installed_by UUID REFERENCES users(id) ON DELETE SET NULL,
                installed_by_username TEXT,
                installed_by_slack_user TEXT,
                installed_at TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            CREATE TABLE slack_oauth_nonces (
                nonce TEXT PRIMARY KEY,
                expires_at TIMESTAMPTZ NOT NULL
            );
            """)
}
