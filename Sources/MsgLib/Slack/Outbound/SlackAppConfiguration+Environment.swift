import Foundation

extension SlackAppConfiguration {
    /// Reads `SLACK_BOT_TOKEN`, `SLACK_SIGNING_SECRET`, `SLACK_CHANNEL_ID` (the three go together),
    /// `SLACK_API_BASE` (default ``defaultAPIBase``) and `SLACK_TEAM_ID` (optional: the only workspace taken). Nil when `SLACK_BOT_TOKEN` is unset: app mode is then off
    /// (or configured by a stored OAuth installation).
    /// - Throws: a ``ConfigurationError`` naming what is missing or malformed.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> SlackAppConfiguration? {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        guard let token = value("SLACK_BOT_TOKEN") else { return nil }
        guard let secret = value("SLACK_SIGNING_SECRET"), let channel = value("SLACK_CHANNEL_ID") else {
            throw ConfigurationError("SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_CHANNEL_ID go together: set all three for Slack app mode")
        }
        guard token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ConfigurationError("SLACK_BOT_TOKEN must be a token such as xoxb-..., without spaces or control characters")
        }
        guard SlackWebAPI.isChannelId(channel) else {
            throw ConfigurationError("SLACK_CHANNEL_ID must be a channel id such as C0123456789, not \"\(channel.prefix(64))\"")
        }
        var base = defaultAPIBase
        if let text = value("SLACK_API_BASE") {
            guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil, url.query == nil else {
                throw ConfigurationError("SLACK_API_BASE must be an http(s) URL such as https://slack.com/api, not \"\(text)\"")
            }
            base = text
        }
        let team = value("SLACK_TEAM_ID")
        if let team, !SlackWebAPI.isIdentifier(team) {
            throw ConfigurationError("SLACK_TEAM_ID must be a workspace id such as T0123456789, not \"\(team.prefix(64))\"")
        }
        return SlackAppConfiguration(botToken: token, signingSecret: secret, channelId: channel, apiBase: base, teamId: team)
    }
}
