extension NotificationConfiguration {
    /// Whether Slack app mode may come from a stored OAuth installation: the install is configured (with its
    /// signing secret and SLACK_TOKEN_KEY) and SLACK_BOT_TOKEN is not set, which would win.
    package var slackAppFromInstallation: Bool { slackApp == nil && slackOAuth != nil && slackTokenSealer != nil }

    /// The secret that verifies Slack's requests: SLACK_SIGNING_SECRET, whether app mode comes from the environment
    /// or from the installation; nil when neither is configured.
    package var slackSigningSecret: String? { slackApp?.signingSecret ?? slackOAuth?.signingSecret }

    /// Where Slack's Web API is (``SlackAppConfiguration/apiBase``), which `response_url`s of Slack's requests may also
    /// point at.
    package var slackAPIBase: String { slackApp?.apiBase ?? slackOAuth?.apiBase ?? SlackAppConfiguration.defaultAPIBase }

    /// The Slack app mode settings to use now: the environment's (SLACK_BOT_TOKEN...) when set, else the stored
    /// installation's bot token and channel, decrypted with SLACK_TOKEN_KEY. Read on every call (one row), so a new
    /// install is used by the next job.
    /// - Returns: nil when app mode is off, or the installation cannot be decrypted with the configured key.
    package func currentSlackApp(_ db: PostgresConnection) throws -> SlackAppConfiguration? {
        if let slackApp { return slackApp }
        guard slackAppFromInstallation, let oauth = slackOAuth, let sealer = slackTokenSealer,
            let installation = try SlackInstallationRepository.current(db)
        else { return nil }
        return installation.appConfiguration(sealer: sealer, oauth: oauth)
    }
}

extension NotificationConfiguration {
    /// What this relay records as the database's Slack app mode (`slack_settings`, which every writer follows): its
    /// channel, or nil for off. Nil as a whole when this relay cannot tell: the stored installation does not open with
    /// its SLACK_TOKEN_KEY (another key, during a rotation), and the relays that can open it decide.
    package func appModeToRecord(_ db: PostgresConnection) throws -> String?? {
        if let slackApp { return .some(slackApp.channelId) }
        guard slackAppFromInstallation else { return .some(nil) }
        guard let installation = try SlackInstallationRepository.current(db) else { return .some(nil) }
        guard let oauth = slackOAuth, let sealer = slackTokenSealer, let app = installation.appConfiguration(sealer: sealer, oauth: oauth)
        else { return nil }
        return .some(app.channelId)
    }

    /// Records the app mode this relay's settings say (``appModeToRecord(_:)``), in a transaction that locks the stored
    /// settings first: an install storing its installation and app mode meanwhile is seen whole, never undone by a
    /// decision read before it committed. False when the stored installation does not open with this relay's key (the
    /// setting is left as it is).
    /// Nothing is locked or written when the stored setting is already right (a database that takes no writes yet).
    package func recordAppMode(_ db: PostgresConnection) throws -> Bool {
        guard let seen = try appModeToRecord(db) else { return false }
        let current = try SlackThreadRepository.appMode(db)
        if current.on == (seen != nil), current.channelId == seen { return true }
        return try db.transaction {
            try db.query("SELECT 1 FROM slack_settings FOR UPDATE")
            guard let channelId = try appModeToRecord(db) else { return false }
            try SlackThreadRepository.setAppMode(db, channelId: channelId)
            return true
        }
    }
}

extension SlackInstallation {
    /// App mode settings from this installation: its bot token (decrypted with `sealer`) and channel, the signing
    /// secret and API base of `oauth`; nil when `sealer` cannot decrypt the token.
    package func appConfiguration(sealer: SecretSealer, oauth: SlackOAuthConfiguration) -> SlackAppConfiguration? {
        guard let token = try? botToken(sealer) else { return nil }
        return SlackAppConfiguration(
            botToken: token, signingSecret: oauth.signingSecret, channelId: channelId, apiBase: oauth.apiBase, teamId: teamId)
    }
}
