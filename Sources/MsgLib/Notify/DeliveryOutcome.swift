import Foundation

/// What became of one attempt to deliver a notification, and what the outbox does next.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Accepted by the push service or Slack: the job is done.
    case delivered
    /// Slack app mode: the parent message of a conversation's thread was posted; the thread is recorded and the job
    /// is done.
    case threadStarted(SlackThread)
    /// Slack app mode: a reply was posted in its thread; the post is recorded (reactions on the message go to it) and
    /// the job is done.
    case posted(SlackMessagePost)
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
    public var isDelivered: Bool {
        switch self {
        case .delivered, .threadStarted, .posted: true
        default: false
        }
    }

    /// Why it was not delivered, if it was not.
    public var reason: String? {
        switch self {
        case .delivered, .threadStarted, .posted: nil
        case .moot(let reason), .gone(let reason), .retry(let reason, _), .failed(let reason): reason
        }
    }

    /// The start of a response body, for the record (push services and Slack explain errors in it), on one line:
    /// control characters (a NUL, which PostgreSQL text cannot store, line breaks) become spaces.
    private static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        var line = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { line.append(scalar.properties.generalCategory == .control ? " " : scalar) }
        let trimmed = String(line).trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "" : ": \(trimmed)"
    }
}
