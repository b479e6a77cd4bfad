import Foundation

/// The one Slack installation, and the spent nonces of install links.
package enum SlackInstallationRepository {
    static let columns = """
        team_id, team_name, bot_user_id, bot_token_sealed, token_key_id, channel_id, channel_name, scopes, app_id,
        installed_by, installed_by_username, installed_by_slack_user, installed_at
        """

    /// The current installation, if any.
    package static func current(_ db: PostgresConnection) throws -> SlackInstallation? {
        try db.query("SELECT \(columns) FROM slack_installations").first.map { try SlackInstallation(row: $0) }
    }

    /// Stores `installation` in place of any previous one (whose token is then gone) and returns it as stored.
    package static func replace(_ db: PostgresConnection, _ installation: SlackInstallation) throws -> SlackInstallation {
        let row = try db.query(
            """
            INSERT INTO slack_installations (singleton, team_id, team_name, bot_user_id, bot_token_sealed, token_key_id, channel_id,
                channel_name, scopes, app_id, installed_by, installed_by_username, installed_by_slack_user)
            VALUES (true, $1, $2, $3, decode($4, 'base64'), $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (singleton) DO UPDATE SET team_id = EXCLUDED.team_id, team_name = EXCLUDED.team_name,
                bot_user_id = EXCLUDED.bot_user_id, bot_token_sealed = EXCLUDED.bot_token_sealed, token_key_id = EXCLUDED.token_key_id,
                token_format = EXCLUDED.token_format, channel_id = EXCLUDED.channel_id, channel_name = EXCLUDED.channel_name,
                scopes = EXCLUDED.scopes, app_id = EXCLUDED.app_id, installed_by = EXCLUDED.installed_by,
                installed_by_username = EXCLUDED.installed_by_username, installed_by_slack_user = EXCLUDED.installed_by_slack_user,
                installed_at = now()
            RETURNING \(columns)
            """,
            [
                installation.teamId, installation.teamName, installation.botUserId, Base64URL.standard(installation.botTokenSealed),
                installation.tokenKeyId, installation.channelId, installation.channelName, installation.scopes, installation.appId,
                installation.installedBy, installation.installedByUsername, installation.installedBySlackUser,
            ])
        guard let stored = row.first else { throw DatabaseError(.query, message: "slack_installations: the INSERT returned no row") }
        return try SlackInstallation(row: stored)
    }

    /// Spends an install link's nonce: true the first time, false when it was already used. Forgets expired ones.
    package static func spendNonce(_ db: PostgresConnection, _ nonce: String, expiresAt: Int64) throws -> Bool {
        try db.query("DELETE FROM slack_oauth_nonces WHERE expires_at < now()")
        return try db.query(
            "INSERT INTO slack_oauth_nonces (nonce, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (nonce) DO NOTHING",
            [nonce, expiresAt]
        ).affectedRows == 1
    }
}

extension SlackInstallation {
    init(row: PostgresRow) throws(DatabaseError) {
        self.init(
            teamId: try row.decode("team_id"), teamName: try row.decode("team_name"), botUserId: try row.decode("bot_user_id"),
            botTokenSealed: try row.decode("bot_token_sealed"), tokenKeyId: try row.decode("token_key_id"),
            channelId: try row.decode("channel_id"), channelName: try row.decode("channel_name"), scopes: try row.decode("scopes"),
            appId: try row.decode("app_id"), installedBy: try row.decode("installed_by"),
            installedByUsername: try row.decode("installed_by_username"), installedBySlackUser: try row.decode("installed_by_slack_user"),
            installedAt: try row.decode("installed_at"))
    }
}
