import Foundation

extension SlackOAuthConfiguration {
    /// Reads `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` (both or neither; neither means no OAuth install),
    /// `SLACK_SIGNING_SECRET` (required with them), `ADMIN_URL_BASE` (required), `SLACK_REDIRECT_URL` (default `ADMIN_URL_BASE` + `/api/slack/oauth/callback`),
    /// `SLACK_OAUTH_BASE` (https://slack.com/oauth/v2/authorize), `SLACK_API_BASE` (https://slack.com/api),
    /// `SLACK_OAUTH_STATE_SECONDS` (600), `SLACK_OAUTH_TIMEOUT_SECONDS` (10) and `SLACK_CHANNEL_ID` (none).
    /// The install also needs `SLACK_TOKEN_KEY` (see ``SecretSealer/fromEnvironment(_:)``): without it the
    /// client id is refused, since the token could not be stored.
    /// - Returns: nil when neither client setting is set.
    package static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> SlackOAuthConfiguration? {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        func absoluteURL(_ key: String, _ text: String) throws(ConfigurationError) -> String {
            guard let url = URL(string: text), url.scheme == "https" || url.scheme == "http", url.host != nil, url.query == nil,
                url.fragment == nil
            else { throw ConfigurationError("\(key) must be an absolute http(s) URL without query, not \"\(text)\"") }
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        let clientId = value("SLACK_CLIENT_ID")
        let clientSecret = value("SLACK_CLIENT_SECRET")
        guard let clientId, let clientSecret else {
            if clientId != nil || clientSecret != nil {
                throw ConfigurationError(
                    "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both (from the Slack app's Basic Information page) or neither")
            }
            return nil
        }
        guard clientId.utf8.count <= 100, clientId.utf8.allSatisfy({ $0 == 0x2E || (0x30...0x39).contains($0) }) else {
            throw ConfigurationError("SLACK_CLIENT_ID must be the app's client id (digits and dots), not \"\(clientId.prefix(100))\"")
        }
        guard let signingSecret = value("SLACK_SIGNING_SECRET") else {
            throw ConfigurationError(
                "SLACK_SIGNING_SECRET must be set with SLACK_CLIENT_ID: the installed app verifies Slack's requests with it (Basic Information page)")
        }
        guard value("SLACK_TOKEN_KEY") != nil else {
            throw ConfigurationError(
                "SLACK_TOKEN_KEY must be set with SLACK_CLIENT_ID: it encrypts the installed bot token (openssl rand -base64 32)")
        }
        guard let adminBase = value("ADMIN_URL_BASE") else {
            throw ConfigurationError(
                "ADMIN_URL_BASE must be set with SLACK_CLIENT_ID: Slack's View button links to ADMIN_URL_BASE/admin/messages/<id>")
        }
        var redirect = try absoluteURL("ADMIN_URL_BASE", adminBase) + "/api/slack/oauth/callback"
        if let explicit = value("SLACK_REDIRECT_URL") { redirect = try absoluteURL("SLACK_REDIRECT_URL", explicit) }
        var configuration = SlackOAuthConfiguration(
            clientId: clientId, clientSecret: clientSecret, signingSecret: signingSecret, redirectURL: redirect)
        if let base = value("SLACK_OAUTH_BASE") { configuration.authorizeURL = try absoluteURL("SLACK_OAUTH_BASE", base) }
        if let base = value("SLACK_API_BASE") { configuration.apiBase = try absoluteURL("SLACK_API_BASE", base) }
        if let lifetime = try ConfigurationError.seconds("SLACK_OAUTH_STATE_SECONDS", value("SLACK_OAUTH_STATE_SECONDS")) {
            configuration.stateLifetime = lifetime
        }
        if let timeout = try ConfigurationError.seconds("SLACK_OAUTH_TIMEOUT_SECONDS", value("SLACK_OAUTH_TIMEOUT_SECONDS")) {
            configuration.exchangeTimeout = timeout
        }
        if let channel = value("SLACK_CHANNEL_ID") {
            guard SlackWebAPI.isChannelId(channel) else {
                throw ConfigurationError("SLACK_CHANNEL_ID must be a channel id such as C0123456789, not \"\(channel.prefix(64))\"")
            }
            configuration.fallbackChannelId = channel
        }
        return configuration
    }
}

extension SecretSealer {
    /// The sealer of `SLACK_TOKEN_KEY`: 32 random bytes in base64 (standard or base64url, padding optional).
    /// - Returns: nil when the variable is unset.
    /// - Throws: a message naming the variable when it is not base64 or not 32 bytes long (the value is never shown).
    package static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> SecretSealer? {
        guard let text = environment["SLACK_TOKEN_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        let urlSafe = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        guard let key = Base64URL.decode(urlSafe) else {
            throw ConfigurationError("SLACK_TOKEN_KEY must be 32 bytes in base64 (openssl rand -base64 32); the value is not base64")
        }
        guard key.count == keyLength else {
            throw ConfigurationError("SLACK_TOKEN_KEY must be 32 bytes in base64 (openssl rand -base64 32), not \(key.count) bytes")
        }
        do {
            return try SecretSealer(key: key)
        } catch {
            throw ConfigurationError("SLACK_TOKEN_KEY: \(error.message)")
        }
    }
}
