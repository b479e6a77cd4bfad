import Foundation
import Testing

@testable import MsgLib

/// Payloads, escaping, retry timing and configuration of notifications, without a database.
@Suite struct NotificationRulesTests {
    @Test func pushBodiesAreCutOnCharacterBoundaries() {
        let family = "👨‍👩‍👧‍👦"
        let notification = PushNotification(
            title: "t", body: String(repeating: "a", count: 99) + family + "tail", conversationId: nil, messageId: nil)
        #expect(notification.body == String(repeating: "a", count: 99) + family)
        #expect(PushNotification(title: "t", body: "short", conversationId: nil, messageId: nil).body == "short")
        let id = UUID()
        let payload =
            try? JSONSerialization.jsonObject(
                with: Data(PushNotification(title: "New message", body: "x", conversationId: id, messageId: nil).payload)) as? [String: Any]
        #expect(payload?["title"] as? String == "New message")
        #expect((payload?["data"] as? [String: Any])?["conversation_id"] as? String == id.lowercasedString)
        #expect((payload?["data"] as? [String: Any])?["message_id"] is NSNull)
    }

    @Test func slackTextIsEscaped() {
        #expect(SlackNotice.escape("<!here> a&b <@U123> >") == "&lt;!here&gt; a&amp;b &lt;@U123&gt; &gt;")
        let notice = SlackNotice(displayName: "<b>", content: "hi", conversationId: nil, adminURLBase: "https://x.example")
        #expect(notice.link == "https://x.example/admin/messages")
        #expect(String(decoding: notice.payload, as: UTF8.self).contains("&lt;b&gt;"))
    }

    @Test func retriesBackOffWithJitterAndHonourRetryAfter() {
        let policy = RetryPolicy(base: .seconds(5), maximum: .seconds(60))
        for attempt in 1...8 {
            let ceiling = min(60, 5 * pow(2, Double(attempt - 1)))
            for _ in 0..<20 {
                let delay = policy.delay(afterAttempt: attempt, retryAfter: nil)
                #expect(delay >= ceiling / 2 && delay <= ceiling, "attempt \(attempt): \(delay)")
            }
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: 120) == 120)
        #expect(RetryPolicy.retryAfter("30") == 30)
        #expect(RetryPolicy.retryAfter("-4") == 0)
        #expect(RetryPolicy.retryAfter("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.retryAfter("Wed, 15 Nov 2023 00:13:20 GMT", now: now) == 7200)
    }

    @Test func responsesMapToOutcomes() {
        func push(_ status: Int, _ headers: [(name: String, value: String)] = []) -> DeliveryOutcome {
            .push(.success(HTTPClient.Response(status: status, headers: headers)))
        }
        #expect(push(201) == .delivered)
        #expect(push(404).isGone && push(410).isGone)
        #expect(push(413).isFailed && push(400).isFailed && push(403).isFailed)
        #expect(push(429, [("Retry-After", "7")]) == .retry("push service answered 429", retryAfter: 7))
        #expect(push(503) == .retry("push service answered 503", retryAfter: nil))
        #expect(DeliveryOutcome.slack(.success(HTTPClient.Response(status: 200))) == .delivered)
        #expect(DeliveryOutcome.slack(.success(HTTPClient.Response(status: 404))).isFailed)
        #expect(DeliveryOutcome.slack(.success(HTTPClient.Response(status: 502))).reason == "Slack answered 502")
    }

    @Test func configurationComesFromTheEnvironmentWithClearErrors() throws {
        #expect(try NotificationConfiguration.fromEnvironment([:]).sendableKinds.isEmpty)
        let keys = VAPIDKeys.generate()
        let push = try NotificationConfiguration.fromEnvironment([
            "VAPID_PUBLIC_KEY": keys.publicKeyBase64URL, "VAPID_PRIVATE_KEY": keys.privateKeyBase64URL, "VAPID_SUBJECT": "mailto:a@example.org",
        ])
        #expect(push.sendableKinds == [.push])
        func problem(_ environment: [String: String]) -> String? {
            do {
                _ = try NotificationConfiguration.fromEnvironment(environment)
                return nil
            } catch { return error.message }
        }
        #expect(problem(["VAPID_PUBLIC_KEY": keys.publicKeyBase64URL])?.contains("go together") == true)
        #expect(
            problem(["VAPID_PUBLIC_KEY": "nope", "VAPID_PRIVATE_KEY": keys.privateKeyBase64URL, "VAPID_SUBJECT": "mailto:a@example.org"])?
                .contains("VAPID_PUBLIC_KEY") == true)
        #expect(problem(["SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"])?.contains("ADMIN_URL_BASE") == true)
        #expect(problem(["OUTBOX_MAX_AGE_SECONDS": "-1"])?.contains("OUTBOX_MAX_AGE_SECONDS") == true)
        let slack = try NotificationConfiguration.fromEnvironment([
            "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x", "ADMIN_URL_BASE": "https://a.example/",
        ])
        #expect(slack.sendableKinds == [.slack])
        #expect(slack.adminURLBase == "https://a.example")
    }
}

extension DeliveryOutcome {
    var isGone: Bool { if case .gone = self { true } else { false } }
    var isFailed: Bool { if case .failed = self { true } else { false } }
}
