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
        #expect(policy.delay(afterAttempt: 1, retryAfter: 50) == 50)
        // More than the maximum is not honoured beyond it.
        #expect(policy.delay(afterAttempt: 1, retryAfter: 120) == 60)
        #expect(RetryPolicy.retryAfter("30") == 30)
        #expect(RetryPolicy.retryAfter("-4") == 0)
        #expect(RetryPolicy.retryAfter("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.retryAfter("Wed, 15 Nov 2023 00:13:20 GMT", now: now) == 7200)
    }

    /// Whatever a push service or Slack puts in `Retry-After`, the delay is a finite number of seconds between 0
    /// and the configured maximum (PostgreSQL then adds it to a timestamp without overflowing).
    @Test func hostileRetryAfterIsCappedAtTheMaximumDelay() {
        let policy = RetryPolicy(base: .seconds(5), maximum: .seconds(3600))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let cases: [(String, Double?)] = [
            ("10000000000000", 10_000_000_000_000), ("99999999999999999999999999999999", 1e32), ("-5", 0), ("-99999999999999999999", 0),
            ("soon", nil), ("", nil), ("1e309", nil), ("NaN", nil), ("inf", nil), ("0x10", nil), ("+5", nil), ("5.5", nil),
            ("Fri, 31 Dec 9999 23:59:59 GMT", nil),  // checked below: far in the future, positive
            ("Wed, 15 Nov 2023 00:13:20 GMT", 7200), ("Mon, 01 Jan 1990 00:00:00 GMT", 0),
            (String(repeating: "9", count: 400), nil),
        ]
        for (header, expected) in cases {
            let parsed = RetryPolicy.retryAfter(header, now: now)
            if header.hasPrefix("Fri, 31 Dec 9999") {
                #expect((parsed ?? 0) > 1e11, "\(header)")
            } else {
                #expect(parsed == expected, "\(header): \(String(describing: parsed))")
            }
            for attempt in [1, 5, 40, Int.max] {
                let delay = policy.delay(afterAttempt: attempt, retryAfter: parsed)
                #expect(delay.isFinite && delay >= 0 && delay <= 3600, "\(header) attempt \(attempt): \(delay)")
            }
        }
        #expect(policy.delay(afterAttempt: 1, retryAfter: 10_000_000_000_000) == 3600)
        #expect(policy.delay(afterAttempt: 1, retryAfter: .infinity) == 3600)
        #expect(policy.delay(afterAttempt: 1, retryAfter: .nan) == 3600)
        #expect(policy.delay(afterAttempt: 1, retryAfter: -.infinity) <= 5)
        // A maximum larger than any clock still gives a delay PostgreSQL can add.
        let absurd = RetryPolicy(base: .seconds(Int64.max / 2), maximum: .seconds(Int64.max))
        #expect(absurd.delay(afterAttempt: 3, retryAfter: 1e300) == RetryPolicy.longestDelay)
        // What a push service answered reaches the outcome as parsed.
        let hostile = DeliveryOutcome.push(.success(HTTPClient.Response(status: 429, headers: [("Retry-After", "10000000000000")])))
        #expect(hostile == .retry("push service answered 429", retryAfter: 10_000_000_000_000))
    }

    /// A reason recorded in `last_error` never holds a NUL (PostgreSQL text cannot store one: the round's
    /// transaction would fail) and stays short.
    @Test func failureReasonsAreStorable() {
        let body = Array("bad\u{0}request\r\nX-Injected: 1".utf8) + [0xFF, 0xFE]
        let outcome = DeliveryOutcome.push(.success(HTTPClient.Response(status: 400, body: body)))
        let reason = outcome.reason ?? ""
        #expect(!reason.utf8.contains(0) && !reason.contains("\n") && !reason.contains("\r"), "\(reason)")
        #expect(reason.hasPrefix("push service answered 400: bad request"))
        #expect(NotificationOutbox.storable("a\u{0}b") == "a b")
        #expect(NotificationOutbox.storable(String(repeating: "x", count: 5000)).count == 1000)
    }

    /// A body of few characters but many bytes (combining marks, as in "Zalgo" text) still makes a notification that
    /// fits one push message: the most of its scalars that fit, then "…".
    @Test func aPushBodyOfManyScalarsIsCutToFit() throws {
        for content in [
            "a" + String(repeating: "\u{301}", count: 9_999), String(repeating: "e" + String(repeating: "\u{301}", count: 20), count: 100),
        ] {
            let notice = PushNotification(title: "New message", body: PushNotification.cut(content), conversationId: UUID(), messageId: UUID())
            let payload = notice.payload
            #expect(payload.count <= PushNotification.maxPayloadBytes && payload.count > PushNotification.maxPayloadBytes - 100)
            let body = try #require((try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])?["body"] as? String)
            #expect(body.hasSuffix("…") && content.unicodeScalars.starts(with: body.unicodeScalars.dropLast()))
        }
        // Characters of many scalars (a kiss of two people with skin tones: 10 scalars, 35 bytes) are cut between
        // characters, never inside one.
        let kisses = String(repeating: "🧑🏻\u{200D}❤\u{FE0F}\u{200D}💋\u{200D}🧑🏼", count: 100)
        let kissed = PushNotification(title: "New message", body: PushNotification.cut(kisses), conversationId: UUID(), messageId: UUID()).payload
        #expect(kissed.count <= PushNotification.maxPayloadBytes)
        let kissBody = try #require((try JSONSerialization.jsonObject(with: Data(kissed)) as? [String: Any])?["body"] as? String)
        #expect(kissBody.hasSuffix("…") && kissBody.count > 10)
        #expect(Array(kisses).starts(with: Array(kissBody.dropLast())), "cut inside a character")
        // Within the limit, the body is whole.
        let short = PushNotification(title: "New message", body: "a\u{301}b", conversationId: nil, messageId: nil)
        #expect(String(decoding: short.payload, as: UTF8.self).contains("\"body\":\"a\u{301}b\""))
    }

    /// Slack answers 400 `invalid_blocks` to a section text over 3,000 characters: the notice is cut between two
    /// characters, never inside an escape, ends with "...", and keeps its button to the conversation.
    @Test func slackSectionsFitSlacksLimit() throws {
        let conversation = UUID()
        func section(_ content: String, name: String = "Alice") throws -> (text: String, link: String?) {
            let notice = SlackNotice(displayName: name, content: content, conversationId: conversation, adminURLBase: "https://a.example")
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(notice.payload)) as? [String: Any])
            let blocks = try #require(payload["blocks"] as? [[String: Any]])
            let text = try #require((blocks[0]["text"] as? [String: Any])?["text"] as? String)
            let link = (blocks[1]["elements"] as? [[String: Any]])?.first?["url"] as? String
            return (text, link)
        }
        let link = "https://a.example/admin/messages/\(conversation.lowercasedString)"
        let fits = try section(String(repeating: "a", count: 2990))
        #expect(fits.text == "*Alice*\n" + String(repeating: "a", count: 2990))
        for content in [
            String(repeating: "a", count: 3001), String(repeating: "&", count: 600), String(repeating: "<", count: 10_000),
            String(repeating: "a&", count: 5000), String(repeating: "🙂", count: 3001), String(repeating: "👨‍👩‍👧‍👦", count: 500),
            String(repeating: "é", count: 3001),
        ] {
            let (text, found) = try section(content)
            #expect(text.utf16.count <= 3000, "\(text.utf16.count)")
            #expect(text.utf16.count >= 2980, "cut no shorter than needed: \(text.utf16.count)")
            #expect(text.hasPrefix("*Alice*\n") && text.hasSuffix("..."))
            #expect(found == link)
            // No escape is cut: every "&" starts a whole one.
            let body = text.dropFirst("*Alice*\n".count).dropLast(3)
            var rest = Substring(body)
            while let amp = rest.firstIndex(of: "&") {
                let tail = rest[amp...]
                #expect(tail.hasPrefix("&amp;") || tail.hasPrefix("&lt;") || tail.hasPrefix("&gt;"), "\(tail.prefix(6))")
                rest = tail.dropFirst()
            }
            #expect(!body.contains("<") && !body.contains(">"))
            // Characters are whole: what is left is a prefix of the escaped message.
            #expect(SlackNotice.escape(content).hasPrefix(String(body)))
        }
        let ampersands = try section(String(repeating: "&", count: 600)).text
        #expect(ampersands == "*Alice*\n" + String(repeating: "&amp;", count: 597) + "...")
        // A huge display name is cut too, and the whole still fits.
        let named = try section(String(repeating: "x", count: 3000), name: String(repeating: ">", count: 5000))
        #expect(named.text.utf16.count <= 3000)
        #expect(named.text.hasPrefix("*" + String(repeating: "&gt;", count: 49) + "...*\n"))
        // A combining mark on "<" does not hide it from the escaping.
        #expect(SlackNotice.escape("<\u{301}!channel>") == "&lt;\u{301}!channel&gt;")
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
        for huge in ["1e300", "inf", "nan", "315360001"] {
            #expect(problem(["OUTBOX_MAX_RETRY_DELAY_SECONDS": huge])?.contains("OUTBOX_MAX_RETRY_DELAY_SECONDS") == true, "\(huge)")
        }
        for (key, bad) in [
            ("PUSH_MAX_SUBSCRIPTIONS_PER_USER", "0"), ("PUSH_MAX_SUBSCRIPTIONS_PER_USER", "ten"), ("PUSH_SUBSCRIBE_RATE_LIMIT_PER_HOUR", "-1"),
            ("PUSH_TEST_RATE_LIMIT_PER_HOUR", "99999999999999999999"),
        ] {
            #expect(problem([key: bad])?.contains(key) == true, "\(key)=\(bad)")
        }
        let defaults = try NotificationConfiguration.fromEnvironment([:])
        #expect(defaults.maxSubscriptionsPerUser == 10 && defaults.subscribeRateLimitPerHour == 60 && defaults.testRateLimitPerHour == 10)
        #expect(defaults.maxRetryDelay == .seconds(3600))
        let limits = try NotificationConfiguration.fromEnvironment([
            "PUSH_MAX_SUBSCRIPTIONS_PER_USER": "3", "PUSH_SUBSCRIBE_RATE_LIMIT_PER_HOUR": "0", "PUSH_TEST_RATE_LIMIT_PER_HOUR": "2",
        ])
        #expect(limits.maxSubscriptionsPerUser == 3 && limits.subscribeRateLimitPerHour == 0 && limits.testRateLimitPerHour == 2)
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
