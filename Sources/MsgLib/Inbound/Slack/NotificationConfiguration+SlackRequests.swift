extension NotificationConfiguration {
    /// The secret that verifies requests from Slack (`SLACK_SIGNING_SECRET`); nil when Slack app mode is not configured,
    /// and the relay then neither takes nor handles requests from Slack.
    package var slackSigningSecret: String? { slackApp?.signingSecret }

    /// Where the Web API is (``SlackAppConfiguration/apiBase``), which `response_url`s may also point at.
    package var slackAPIBase: String { slackApp?.apiBase ?? SlackAppConfiguration.defaultAPIBase }
}
