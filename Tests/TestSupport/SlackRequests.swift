import Foundation
import MsgLib

/// Requests as Slack sends them to the relay in app mode, signed with the signing secret of the Slack app tests'
/// relays (`SlackAppOutboundTests.environment`).
package enum SlackRequests {
    package static let signingSecret = "test-signing-secret"
    package static let channel = "C0INBOX01"
    package static let botUser = "UBOTUSER1"
    /// The workspace of the tests' relays (SLACK_TEAM_ID).
    package static let team = "T0TEAM"

    /// The signature headers of `body`, signed now (or at `timestamp`) with `secret`.
    package static func headers(_ body: Data, secret: String = signingSecret, timestamp: Int64? = nil, contentType: String) -> [String: String] {
        let time = String(timestamp ?? Int64(Date().timeIntervalSince1970))
        return [
            "X-Slack-Request-Timestamp": time,
            "X-Slack-Signature": SlackSignature(signingSecret: secret).signature(timestamp: time, body: Array(body)),
            "Content-Type": contentType,
        ]
    }

    /// Posts a signed `event_callback` body to the relay on `port` and times its answer, on a thread of its own so that
    /// the time is the relay's, not a busy test process's.
    package static func timedEvent(port: Int, _ body: Data) async throws -> (answer: RawHTTPConnection.Response?, took: Duration) {
        var text = "POST /api/slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers(body, contentType: "application/json") { text += "\(name): \(value)\r\n" }
        let request = Array((text + "\r\n").utf8) + Array(body)
        return try await onOwnThread {
            let started = ContinuousClock.now
            let response = try RawHTTPConnection.exchange(port: port, request)
            return (response, ContinuousClock.now - started)
        }
    }

    /// An `event_callback` body whose event is `event`, delivered for the app's bot user.
    package static func eventCallback(id: String, event: [String: Any], team: String = team) -> Data {
        let object: [String: Any] = [
            "token": "legacy", "team_id": team, "api_app_id": "A0APP", "type": "event_callback", "event_id": id, "event_time": 1_700_000_000,
            "authorizations": [["enterprise_id": NSNull(), "team_id": team, "user_id": botUser, "is_bot": true]], "event": event,
        ]
        return try! JSONSerialization.data(withJSONObject: object)
    }

    /// A message event in a thread.
    package static func threadMessage(user: String, text: String, threadTs: String, ts: String = "1800000000.000200", extra: [String: Any] = [:])
        -> [String: Any]
    {
        var event: [String: Any] = ["type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "thread_ts": threadTs]
        for (key, value) in extra { event[key] = value }
        return event
    }

    /// A form body (`application/x-www-form-urlencoded`).
    package static func form(_ fields: [(String, String)]) -> Data {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let text = fields.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
        return Data(text.utf8)
    }

    /// A `block_actions` click on button `actionId` with `value`, by Slack user `user`.
    /// A click on a parent message's button, with a `trigger_id` of its own, as Slack sends it.
    package static func buttonClick(user: String, actionId: String, value: String?, responseURL: String, team: String = team) -> Data {
        var action: [String: Any] = ["action_id": actionId, "block_id": "b1", "type": "button", "action_ts": "1800000000.1"]
        if let value { action["value"] = value }
        let payload: [String: Any] = [
            "type": "block_actions", "user": ["id": user, "username": "someone", "team_id": team], "team": ["id": team, "domain": "desk"],
            "api_app_id": "A0APP",
            "container": ["type": "message", "message_ts": "1700000000.000100", "channel_id": channel], "channel": ["id": channel, "name": "desk"],
            "response_url": responseURL, "actions": [action],
            "trigger_id": "\(UInt32.random(in: 1...UInt32.max)).\(UUID().lowercasedString.prefix(8))",
        ]
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
        return form([("payload", json)])
    }

    /// A `/msg` slash command typed by Slack user `user`.
    /// A slash command's form, each with a `trigger_id` of its own, as Slack sends them.
    package static func command(
        user: String, text: String, responseURL: String = "https://hooks.slack.com/commands/T0TEAM/1/abc", team: String = team
    ) -> Data {
        form([
            ("token", "legacy"), ("team_id", team), ("channel_id", channel), ("user_id", user), ("user_name", "someone"), ("command", "/msg"),
            ("text", text), ("response_url", responseURL),
            ("trigger_id", "\(UInt32.random(in: 1...UInt32.max)).\(UUID().lowercasedString.prefix(8))"),
        ])
    }
}
