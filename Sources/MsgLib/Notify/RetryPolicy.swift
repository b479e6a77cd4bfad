import Foundation

/// When to try a notification again: exponential backoff with jitter, never sooner than a `Retry-After`, and
/// never later than ``maximum`` whatever a push service or Slack asks for.
package struct RetryPolicy: Sendable {
    package var base: Duration
    package var maximum: Duration

    package init(base: Duration, maximum: Duration) {
        self.base = base
        self.maximum = maximum
    }

    /// Seconds to wait after failed attempt number `attempt` (1 for the first failure): `base · 2^(attempt−1)`,
    /// capped at `maximum`, then a random value between half and all of it (so retries from many jobs spread out),
    /// and at least `retryAfter` capped at `maximum`. Always a finite number between 0 and `maximum`.
    package func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        let baseSeconds = Self.bounded(Self.seconds(base), upTo: maximumSeconds)
        let ceiling = min(maximumSeconds, baseSeconds * pow(2, Double(max(0, min(attempt - 1, 30)))))
        let jittered = ceiling / 2 + Double.random(in: 0...(ceiling / 2))
        return max(jittered, retryAfter.map { wait(asked: $0) } ?? 0)
    }

    /// The wait a `Retry-After` of `retryAfter` seconds asks for, within `0...maximum` (an unreadable one, NaN, is the
    /// maximum).
    package func wait(asked retryAfter: Double) -> Double {
        retryAfter.isNaN ? maximumSeconds : Self.bounded(retryAfter, upTo: maximumSeconds)
    }

    /// ``maximum`` in seconds, within ``longestDelay``.
    private var maximumSeconds: Double { Self.bounded(Self.seconds(maximum), upTo: Self.longestDelay) }

    /// A `Retry-After` value in seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); nil when absent or
    /// unreadable. A negative number or a date in the past is 0; a number too large for any clock stays large
    /// (``delay(afterAttempt:retryAfter:)`` caps it).
    package static func retryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty, value.utf8.count <= 64 else { return nil }
        let digits = value.hasPrefix("-") ? value.dropFirst() : Substring(value)
        if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            return value.hasPrefix("-") ? 0 : Double(digits).map { $0.isFinite ? $0 : longestDelay }
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return seconds.isFinite ? max(0, seconds) : nil
    }

    /// The longest delay a job is ever given (ten years), whatever the configuration: far below what PostgreSQL's
    /// `interval` and `timestamptz` can hold.
    package static let longestDelay: Double = 10 * 365 * 86_400

    package static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `value` within `0...limit`; a NaN is 0.
    static func bounded(_ value: Double, upTo limit: Double) -> Double {
        value.isNaN ? 0 : min(max(value, 0), limit)
    }
}
