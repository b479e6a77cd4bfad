import Foundation

/// What became of one attempt to deliver a notification, and what the outbox does next.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Accepted by the push service or Slack: the job is done.
    case delivered
    /// Nothing to send any more (the message was deleted before its notice left): the job is dropped.
    case moot(String)
    /// The push service says the subscription is gone (404, 410): it is deleted, and its jobs with it.
    case gone(String)
    /// Worth another try (429, 5xx, timeouts, refused connections), not before `retryAfter` seconds if given.
    case retry(String, retryAfter: Double?)
    /// Will never work (other 4xx, 413, bad stored keys, a refused endpoint): the job is given up with the reason.
    case failed(String)

    /// The outcome of an HTTP exchange with a push service (RFC 8030 §5, RFC 8292).
    package static func push(_ result: Result<HTTPClient.Response, HTTPClientError>) -> DeliveryOutcome {
        switch result {
        case .failure(let error): return .retry(error.message, retryAfter: nil)
        case .success(let response):
            switch response.status {
            case 200..<300: return .delivered
            case 404, 410: return .gone("push service answered \(response.status): subscription expired or unsubscribed")
            case 413: return .failed("push service answered 413: payload too large (a bug: payloads are cut to fit)")
            case 429, 500..<600:
                return .retry("push service answered \(response.status)", retryAfter: RetryPolicy.retryAfter(response.header("Retry-After")))
            default: return .failed("push service answered \(response.status)\(Self.excerpt(response.body))")
            }
        }
    }

    /// The outcome of an HTTP exchange with a Slack incoming webhook.
    package static func slack(_ result: Result<HTTPClient.Response, HTTPClientError>) -> DeliveryOutcome {
        switch result {
        case .failure(let error): return .retry(error.message, retryAfter: nil)
        case .success(let response):
            switch response.status {
            case 200..<300: return .delivered
            case 408, 429, 500..<600:
                return .retry("Slack answered \(response.status)", retryAfter: RetryPolicy.retryAfter(response.header("Retry-After")))
            default: return .failed("Slack answered \(response.status)\(Self.excerpt(response.body))")
            }
        }
    }

    /// True when the notification was accepted.
    public var isDelivered: Bool { self == .delivered }

    /// Why it was not delivered, if it was not.
    public var reason: String? {
        switch self {
        case .delivered: nil
        case .moot(let reason), .gone(let reason), .retry(let reason, _), .failed(let reason): reason
        }
    }

    /// The start of a response body, for the record (push services and Slack explain errors in it).
    private static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ": \(text)"
    }
}

/// When to try a notification again: exponential backoff with jitter, never sooner than `Retry-After`.
package struct RetryPolicy: Sendable {
    package var base: Duration
    package var maximum: Duration

    package init(base: Duration, maximum: Duration) {
        self.base = base
        self.maximum = maximum
    }

    /// Seconds to wait after failed attempt number `attempt` (1 for the first failure): `base · 2^(attempt−1)`,
    /// capped at `maximum`, then a random value between half and all of it (so retries from many jobs spread out),
    /// and at least `retryAfter`.
    package func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        let baseSeconds = Self.seconds(base)
        let ceiling = min(Self.seconds(maximum), baseSeconds * pow(2, Double(max(0, min(attempt - 1, 30)))))
        let jittered = ceiling / 2 + Double.random(in: 0...(ceiling / 2))
        return max(jittered, retryAfter ?? 0)
    }

    /// A `Retry-After` value in seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); nil when absent or unreadable.
    package static func retryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return Double(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    package static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
