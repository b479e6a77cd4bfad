import Foundation

/// Slack app mode: a bot posts each conversation as a thread in one channel through Slack's Web API, and Slack's
/// requests back to the relay are verified with the signing secret.
///
/// Read from the environment (``fromEnvironment(_:)``) or made from a stored OAuth installation.
public struct SlackAppConfiguration: Sendable, Equatable {
    /// The bot token (`xoxb-...`), sent as `Authorization: Bearer`. Never logged.
    public var botToken: String
    /// Verifies requests from Slack (`X-Slack-Signature`). Never logged.
    public var signingSecret: String
    /// The channel the threads are posted in (`C...` or `G...`).
    public var channelId: String
    /// The Web API's base URL, without a trailing slash: ``defaultAPIBase`` unless tests point it at a fake.
    public var apiBase: String
    /// The workspace (`T...`) whose requests are taken (SLACK_TEAM_ID, or the installation's); nil: any the signing
    /// secret verifies.
    public var teamId: String?

    /// Slack's Web API.
    public static let defaultAPIBase = "https://slack.com/api"

    public init(
        botToken: String, signingSecret: String, channelId: String, apiBase: String = SlackAppConfiguration.defaultAPIBase, teamId: String? = nil
    ) {
        self.botToken = botToken
        self.signingSecret = signingSecret
        self.channelId = channelId
        self.teamId = teamId
        self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
    }

    /// The URL of Web API method `method` (`chat.postMessage`).
    package func url(_ method: String) -> String { apiBase + "/" + method }
}

extension SlackAppConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    /// The channel and API base; the token and the secret are never written out.
    public var description: String {
        "SlackAppConfiguration(channelId: \(channelId), apiBase: \(apiBase), botToken: <hidden>, signingSecret: <hidden>)"
    }
    public var debugDescription: String { description }
}
