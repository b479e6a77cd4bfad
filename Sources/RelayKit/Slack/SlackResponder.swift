import Foundation
import Logging
import MsgLib

/// Posts ephemeral answers to the `response_url` of a Slack interaction, only where ``SlackResponseURLPolicy`` allows,
/// once, without retries (an answer that does not arrive in time is worth nothing).
struct SlackResponder: Sendable {
    let policy: SlackResponseURLPolicy
    let client: HTTPClient

    /// - Parameter apiBase: the Web API's base URL (``SlackAppConfiguration/apiBase``).
    init(apiBase: String) {
        self.policy = SlackResponseURLPolicy(apiBase: apiBase)
        self.client = HTTPClient(configuration: HTTPClient.Configuration(allowInsecure: apiBase.hasPrefix("http:")))
    }

    struct Answer: Encodable {
        var response_type = "ephemeral"
        var replace_original = false
        var text: String
    }

    /// Sends `text` to `url` in the background; a URL the policy refuses is only logged.
    func post(_ text: String, to url: String?, logger: Logger) {
        guard let url else { return }
        guard policy.allows(url) else {
            logger.warning("Slack response_url refused: not Slack's hooks host nor SLACK_API_BASE's")
            return
        }
        let body = Array((try? JSONEncoder().encode(Answer(text: text))) ?? Data())
        let request = HTTPClient.Request(url: url, headers: [("Content-Type", "application/json; charset=utf-8")], body: body, timeout: .seconds(5))
        let client = self.client
        Task {
            do {
                let response = try await client.send(request)
                if response.status >= 300 { logger.warning("Slack did not take an ephemeral answer", metadata: ["status": "\(response.status)"]) }
            } catch {
                logger.warning("an ephemeral answer could not be sent to Slack", metadata: ["error": "\(error)"])
            }
        }
    }
}
