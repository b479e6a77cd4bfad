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
        package var teamId: String
        package var teamName: String
        package var channelId: String
        package var channelName: String?
        package var botUserId: String
        package var appId: String?
        package var scopes: [String]
        package var installedAt: Timestamp
        package var installedBy: String?
        package var installedBySlackUser: String?
        /// Always true: an installation is stored only with its (encrypted) token.
        package var tokenPresent: Bool
        /// The name of the key that encrypted the token (not the key).
        package var tokenKeyId: String
        /// Whether SLACK_TOKEN_KEY decrypts the token; nil when SLACK_TOKEN_KEY is not set.
        package var tokenDecrypts: Bool?

        enum CodingKeys: String, CodingKey {
            case teamId = "team_id"
            case teamName = "team_name"
            case channelId = "channel_id"
            case channelName = "channel_name"
            case botUserId = "bot_user_id"
            case appId = "app_id"
            case scopes
            case installedAt = "installed_at"
            case installedBy = "installed_by"
            case installedBySlackUser = "installed_by_slack_user"
            case tokenPresent = "token_present"
            case tokenKeyId = "token_key_id"
            case tokenDecrypts = "token_decrypts"
        }

        /// Always encodes `token_decrypts` and the other optionals, as null when empty.
        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(teamId, forKey: .teamId)
            try container.encode(teamName, forKey: .teamName)
            try container.encode(channelId, forKey: .channelId)
            try container.encode(channelName, forKey: .channelName)
            try container.encode(botUserId, forKey: .botUserId)
            try container.encode(appId, forKey: .appId)
            try container.encode(scopes, forKey: .scopes)
            try container.encode(installedAt, forKey: .installedAt)
            try container.encode(installedBy, forKey: .installedBy)
            try container.encode(installedBySlackUser, forKey: .installedBySlackUser)
            try container.encode(tokenPresent, forKey: .tokenPresent)
            try container.encode(tokenKeyId, forKey: .tokenKeyId)
            try container.encode(tokenDecrypts, forKey: .tokenDecrypts)
        }
    }

    package var mode: Mode
    /// Whether the OAuth install is configured (SLACK_CLIENT_ID...).
    package var oauthConfigured: Bool
    package var installation: Installation?

    enum CodingKeys: String, CodingKey {
        case mode
        case oauthConfigured = "oauth_configured"
        case installation
    }

    /// Encodes `installation` as null when there is none.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encode(oauthConfigured, forKey: .oauthConfigured)
        try container.encode(installation, forKey: .installation)
    }

    /// The status under `notifications` with the installation stored in `db`.
    package static func read(_ db: PostgresConnection, notifications: NotificationConfiguration) throws -> SlackStatus {
        let stored = try SlackInstallationRepository.current(db)
        let decrypts = notifications.slackTokenSealer.flatMap { sealer in stored.map { (try? $0.botToken(sealer)) != nil } }
        let mode: Mode =
            if notifications.slackApp != nil {
                .appEnvironment
            } else if notifications.slackAppFromInstallation, decrypts == true {
                .appInstallation
            } else if notifications.notifiesSlackWebhook {
                // With the OAuth install configured the webhook is not used, installation or not.
                .webhook
            } else {
                .off
            }
        let installation = stored.map {
            Installation(
                teamId: $0.teamId, teamName: $0.teamName, channelId: $0.channelId, channelName: $0.channelName, botUserId: $0.botUserId,
                appId: $0.appId, scopes: $0.scopes.split(separator: ",").map(String.init), installedAt: $0.installedAt,
                installedBy: $0.installedByUsername, installedBySlackUser: $0.installedBySlackUser, tokenPresent: !$0.botTokenSealed.isEmpty,
                tokenKeyId: $0.tokenKeyId, tokenDecrypts: decrypts)
        }
        return SlackStatus(mode: mode, oauthConfigured: notifications.slackOAuth != nil, installation: installation)
    }
}
