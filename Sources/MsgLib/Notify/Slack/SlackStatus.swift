/// What Slack integration is configured and installed, for `msgctl slack status`; holds no secret.
package struct SlackStatus: Sendable, Encodable, Equatable {
    /// How notices reach Slack, as msgrelay with the same environment would decide.
    package enum Mode: String, Sendable, Encodable {
        /// One-way notices to SLACK_WEBHOOK_URL.
        case webhook
        /// App mode from SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_CHANNEL_ID.
        case appEnvironment = "app_environment"
        /// App mode from the stored OAuth installation.
        case appInstallation = "app_installation"
        case off
    }

    /// The stored installation, without its token.
    package struct Installation: Sendable, Encodable, Equatable {
        package var team_id: String
        package var team_name: String
        package var channel_id: String
        package var channel_name: String?
        package var bot_user_id: String
        package var app_id: String?
        package var scopes: [String]
        package var installed_at: Timestamp
        package var installed_by: String?
        package var installed_by_slack_user: String?
        /// Always true: an installation is stored only with its (encrypted) token.
        package var token_present: Bool
        /// The name of the key that encrypted the token (not the key).
        package var token_key_id: String
        /// Whether SLACK_TOKEN_KEY decrypts the token; nil when SLACK_TOKEN_KEY is not set.
        package var token_decrypts: Bool?
    }

    package var mode: Mode
    /// Whether the OAuth install is configured (SLACK_CLIENT_ID...).
    package var oauth_configured: Bool
    package var installation: Installation?

    /// The status under `notifications` with the installation stored in `db`.
    package static func read(_ db: PostgresConnection, notifications: NotificationConfiguration) throws -> SlackStatus {
        let stored = try SlackInstallationRepository.current(db)
        let decrypts = notifications.slackTokenSealer.flatMap { sealer in stored.map { (try? $0.botToken(sealer)) != nil } }
        let mode: Mode =
            if notifications.slackApp != nil {
                .appEnvironment
            } else if notifications.slackAppFromInstallation, decrypts == true {
                .appInstallation
            } else if notifications.slackWebhookURL != nil {
                .webhook
            } else {
                .off
            }
        let installation = stored.map {
            Installation(
                team_id: $0.teamId, team_name: $0.teamName, channel_id: $0.channelId, channel_name: $0.channelName, bot_user_id: $0.botUserId,
                app_id: $0.appId, scopes: $0.scopes.split(separator: ",").map(String.init), installed_at: $0.installedAt,
                installed_by: $0.installedByUsername, installed_by_slack_user: $0.installedBySlackUser, token_present: !$0.botTokenSealed.isEmpty,
                token_key_id: $0.tokenKeyId, token_decrypts: decrypts)
        }
        return SlackStatus(mode: mode, oauth_configured: notifications.slackOAuth != nil, installation: installation)
    }
}
