import Foundation

/// Slack's answer to `oauth.v2.access`, checked field by field before anything is stored.
///
/// Every identifier must look like Slack's (capital letters and digits), names must be short and free of control
/// characters, and the token must be a bot token (`xoxb-`).
package struct SlackOAuthAccess: Sendable, Equatable {
    package var botToken: String
    package var botUserId: String
    package var teamId: String
    package var teamName: String
    package var channelId: String?
    package var channelName: String?
    package var scopes: String
    package var appId: String?
    package var authedUserId: String?

    /// Why an answer was refused; `description` is safe to show the admin (it never holds the token).
    package struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        package let description: String
        init(_ description: String) { self.description = description }
    }

    /// The answer `body` (with HTTP `status`) as an installation's fields.
    /// - Throws: ``Refusal`` for an answer that is not a complete, plausible success.
    package static func parse(status: Int, body: [UInt8], truncated: Bool) throws(Refusal) -> SlackOAuthAccess {
        guard !truncated else { throw Refusal("Slack's answer was too large") }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw Refusal("Slack's answer (HTTP \(status)) was not a JSON object")
        }
        guard object["ok"] as? Bool == true else {
            let code = (object["error"] as? String).map(identifier) ?? "unknown"
            throw Refusal("Slack refused the code exchange: \(code)")
        }
        guard (200..<300).contains(status) else { throw Refusal("Slack answered HTTP \(status)") }
        guard let token = object["access_token"] as? String, token.hasPrefix("xoxb-"), token.utf8.count <= 255,
            token.utf8.allSatisfy({ $0.isSlackTokenCharacter })
        else { throw Refusal("Slack's answer holds no bot token (xoxb-)") }
        if let type = object["token_type"], type as? String != "bot" { throw Refusal("Slack's answer holds a token that is not a bot token") }
        let team = object["team"] as? [String: Any]
        let webhook = object["incoming_webhook"] as? [String: Any]
        let authedUser = object["authed_user"] as? [String: Any]
        return SlackOAuthAccess(
            botToken: token,
            botUserId: try id(object["bot_user_id"], "bot_user_id"),
            teamId: try id(team?["id"], "team.id"),
            teamName: try name(team?["name"], "team.name") ?? "",
            channelId: try webhook?["channel_id"].map { value throws(Refusal) in try id(value, "incoming_webhook.channel_id") },
            channelName: try name(webhook?["channel"], "incoming_webhook.channel"),
            scopes: try scopes(object["scope"]),
            appId: try object["app_id"].map { value throws(Refusal) in try id(value, "app_id") },
            authedUserId: try authedUser?["id"].map { value throws(Refusal) in try id(value, "authed_user.id") })
    }

    /// A Slack id: 1 to 32 capital letters and digits.
    private static func id(_ value: Any?, _ field: String) throws(Refusal) -> String {
        guard let text = value as? String, (1...32).contains(text.utf8.count),
            text.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) })
        else { throw Refusal("Slack's answer has no valid \(field)") }
        return text
    }

    /// A display name: at most 200 characters, no control characters; nil when absent.
    private static func name(_ value: Any?, _ field: String) throws(Refusal) -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard let text = value as? String, text.count <= 200, !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { throw Refusal("Slack's answer has an invalid \(field)") }
        return text
    }

    private static func scopes(_ value: Any?) throws(Refusal) -> String {
        guard let text = value as? String, text.utf8.count <= 2000,
            text.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || ":._,-".utf8.contains($0) })
        else { throw Refusal("Slack's answer has no valid scope list") }
        return text
    }

    /// Slack's error code as it may be shown: letters, digits and underscores, at most 64.
    private static func identifier(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }.prefix(64))
    }
}

extension UInt8 {
    fileprivate var isSlackTokenCharacter: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) || self == 0x2D
    }
}
