/// Why an OAuth install did not complete; `message` is meant for the admin's browser (no secrets in it).
package struct SlackInstallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status of the page that shows it.
    package let status: Int
    package let message: String

    package init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    package var description: String { message }

    package static let notConfigured = SlackInstallError(
        404, "Slack install is not configured on this server (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_TOKEN_KEY)")
    static let otherBrowser = SlackInstallError(400, "This install was started in another browser (or its cookie expired): start it again")
    static let reused = SlackInstallError(400, "This install link was already used: start the install again")
    static let cancelled = SlackInstallError(400, "The install was cancelled in Slack: nothing was changed")
    static let noCode = SlackInstallError(400, "Slack's answer carries no valid authorisation code")
    static let notAdmin = SlackInstallError(403, "The admin who started this install is no longer an admin")
    static let noChannel = SlackInstallError(
        502, "Slack did not say which channel to post in: choose a channel on Slack's install page (or set SLACK_CHANNEL_ID)")
}
