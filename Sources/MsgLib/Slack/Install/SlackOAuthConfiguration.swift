import Foundation

/// How msgrelay installs its Slack app through OAuth (`GET /api/slack/install` and `/api/slack/oauth/callback`).
public struct SlackOAuthConfiguration: Sendable {
    /// The bot scopes the app asks for: those of the manifest in docs/slack.md (posting, the slash command, reading
    /// thread replies in public and private channels, reacting and reading reactions), and choosing the channel on
    /// Slack's install page (incoming-webhook).
    package static let botScopes = [
        "chat:write", "commands", "channels:history", "groups:history", "reactions:read", "reactions:write", "incoming-webhook",
    ]

    /// The app's client id (SLACK_CLIENT_ID).
    package var clientId: String
    /// The app's client secret (SLACK_CLIENT_SECRET); sent to Slack only, never logged.
    package var clientSecret: String
    /// The app's signing secret (SLACK_SIGNING_SECRET, required with the install): an installed app mode verifies
    /// Slack's requests with it, as when SLACK_BOT_TOKEN is set.
    package var signingSecret: String
    /// Slack's authorize page (SLACK_OAUTH_BASE), default `https://slack.com/oauth/v2/authorize`.
    package var authorizeURL: String
    /// Slack's Web API (SLACK_API_BASE), default `https://slack.com/api`; the code is exchanged at
    /// `<apiBase>/oauth.v2.access`.
    package var apiBase: String
    /// Where Slack sends the admin's browser back: SLACK_REDIRECT_URL, else
    /// `ADMIN_URL_BASE/api/slack/oauth/callback` (the deploy guide serves `/api/` on the admin pages' host). It must be one of the app's redirect URLs at Slack.
    package var redirectURL: String
    /// How long an install link's state is accepted (SLACK_OAUTH_STATE_SECONDS, default 600).
    package var stateLifetime: Duration
    /// The whole exchange with Slack, connection to last byte (SLACK_OAUTH_TIMEOUT_SECONDS, default 10).
    package var exchangeTimeout: Duration
    /// The channel to post in when Slack's answer names none (SLACK_CHANNEL_ID), e.g. an install without the
    /// incoming-webhook step.
    package var fallbackChannelId: String?

    package init(
        clientId: String, clientSecret: String, signingSecret: String, redirectURL: String,
        authorizeURL: String = "https://slack.com/oauth/v2/authorize", apiBase: String = SlackAppConfiguration.defaultAPIBase,
        stateLifetime: Duration = .seconds(600), exchangeTimeout: Duration = .seconds(10),
        fallbackChannelId: String? = nil
    ) {
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.signingSecret = signingSecret
        self.authorizeURL = authorizeURL
        self.apiBase = apiBase
        self.redirectURL = redirectURL
        self.stateLifetime = stateLifetime
        self.exchangeTimeout = exchangeTimeout
        self.fallbackChannelId = fallbackChannelId
    }

    /// Where `GET /api/slack/install` sends the admin: the authorize page with the client id, scopes, redirect URL
    /// and `state`.
    package func authorizeLocation(state: String) -> String {
        var components = URLComponents(string: authorizeURL) ?? URLComponents()
        components.queryItems =
            (components.queryItems ?? []) + [
                URLQueryItem(name: "client_id", value: clientId),
                URLQueryItem(name: "scope", value: Self.botScopes.joined(separator: ",")),
                URLQueryItem(name: "redirect_uri", value: redirectURL),
                URLQueryItem(name: "state", value: state),
            ]
        // URLComponents leaves `+`, `:` and `/` alone in a query; Slack reads them as they are, except `+` (a space).
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? authorizeURL
    }

    /// The URL of the code exchange.
    package var accessURL: String { apiBase + "/oauth.v2.access" }
}
