import Foundation

/// Where the relay may post a delayed answer to a Slack interaction (its `response_url`): Slack's hooks host over
/// https (`https://hooks.slack.com/actions/...` or `/commands/...`), or the scheme, host and port of the configured
/// Web API base (a local fake of Slack in tests). Any other URL is refused, so that no payload can make the relay
/// send requests elsewhere.
package struct SlackResponseURLPolicy: Sendable, Equatable {
    /// Slack's host for `response_url`s.
    package static let hooksHost = "hooks.slack.com"

    let apiScheme: String?
    let apiHost: String?
    let apiPort: Int?

    /// - Parameter apiBase: ``SlackAppConfiguration/apiBase``.
    package init(apiBase: String) {
        let url = URL(string: apiBase)
        apiScheme = url?.scheme?.lowercased()
        apiHost = url?.host?.lowercased()
        apiPort = url?.port
    }

    /// True when the relay may post to `text`.
    package func allows(_ text: String) -> Bool {
        guard text.utf8.count <= 2048, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(), url.user == nil, url.password == nil
        else { return false }
        if scheme == "https", host == Self.hooksHost, url.port == nil || url.port == 443 {
            return url.path.hasPrefix("/actions/") || url.path.hasPrefix("/commands/")
        }
        return scheme == apiScheme && host == apiHost && url.port == apiPort
    }
}
