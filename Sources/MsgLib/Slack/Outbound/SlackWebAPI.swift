import Foundation

/// Slack's Web API as app mode uses it: `chat.postMessage`, `chat.update` and `auth.test` requests (bearer token,
/// JSON body; the read methods a form), and what Slack's answers mean for the outbox.
///
/// Slack answers most failures with HTTP 200 and `{"ok": false, "error": "..."}`: those are read here, not only the
/// status. Requests are built without I/O; ``Notifier`` sends them.
package struct SlackWebAPI: Sendable {
    package let configuration: SlackAppConfiguration

    package init(configuration: SlackAppConfiguration) {
        self.configuration = configuration
    }

    /// A request to Web API method `method` with a JSON `body`.
    package func request(_ method: String, body: [UInt8]) -> HTTPClient.Request {
        HTTPClient.Request(
            url: configuration.url(method),
            headers: [("Content-Type", "application/json; charset=utf-8"), ("Authorization", "Bearer \(configuration.botToken)")], body: body)
    }

    /// A request to Web API method `method` with form `fields` (the read methods take no JSON body).
    package func formRequest(_ method: String, fields: [(name: String, value: String)]) -> HTTPClient.Request {
        HTTPClient.Request(
            url: configuration.url(method),
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", "Bearer \(configuration.botToken)")],
            body: Array(FormBody.encode(fields).utf8))
    }

    /// `chat.postMessage` with `body`, on a new connection: a post whose answer is lost is looked for before it is
    /// made again (``SlackPostLookup``), never sent again blindly by libcurl.
    package func postMessage(_ body: [UInt8]) -> HTTPClient.Request {
        var post = request("chat.postMessage", body: body)
        post.freshConnection = true
        return post
    }

    /// `chat.update` with `body`.
    package func update(_ body: [UInt8]) -> HTTPClient.Request { request("chat.update", body: body) }

    /// `auth.test`: whether the token works, and for which team and bot.
    package func authTest() -> HTTPClient.Request { request("auth.test", body: Array("{}".utf8)) }

    /// A successful answer's fields app mode reads.
    package struct Success: Sendable, Equatable {
        package var ts: String?
        package var channel: String?
    }

    private struct Body: Decodable {
        var ok: Bool?
        var error: String?
        var ts: String?
        var channel: String?
    }

    /// Errors Slack documents as temporary: worth another try.
    static let temporaryErrors: Set<String> = [
        "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    ]

    /// What an exchange with the Web API came to: the answer's fields when `ok` is true, otherwise the outcome for
    /// the outbox (429 and 5xx, temporary errors and unreadable answers retried with any `Retry-After`; other
    /// `ok: false` errors such as `invalid_blocks` given up with Slack's error code as the reason).
    package static func answer(_ result: Result<HTTPClient.Response, HTTPClientError>) -> Result<Success, Failure> {
        let response: HTTPClient.Response
        switch result {
        case .failure(let error): return .failure(Failure(.retry(error.message, retryAfter: nil)))
        case .success(let value): response = value
        }
        let retryAfter = RetryPolicy.retryAfter(response.header("Retry-After"))
        let body = response.bodyTruncated ? nil : try? JSONDecoder().decode(Body.self, from: Data(response.body))
        let code = body?.error.map(errorCode)
        switch response.status {
        case 429:
            return .failure(Failure(.retry("Slack answered 429 \(code ?? "ratelimited")", retryAfter: retryAfter)))
        case 408, 500..<600:
            return .failure(Failure(.retry("Slack answered \(response.status)\(code.map { " \($0)" } ?? "")", retryAfter: retryAfter)))
        default:
            break
        }
        guard let body, let ok = body.ok else {
            let what = response.bodyTruncated ? "an oversized answer" : "an answer that is not Slack's JSON"
            if (200..<300).contains(response.status) {
                return .failure(Failure(.retry("Slack answered \(response.status) with \(what)", retryAfter: retryAfter)))
            }
            return .failure(Failure(.failed("Slack answered \(response.status) with \(what)")))
        }
        if ok, (200..<300).contains(response.status) { return .success(Success(ts: body.ts, channel: body.channel)) }
        let error = code ?? "unknown_error"
        if temporaryErrors.contains(error) {
            return .failure(Failure(.retry("Slack answered \(error)", retryAfter: retryAfter)))
        }
        return .failure(Failure(.failed("Slack answered \(error)"), error: error))
    }

    /// A failed exchange: the outbox's outcome, and Slack's error code when it gave one.
    package struct Failure: Error, Sendable, Equatable {
        package var outcome: DeliveryOutcome
        package var error: String?

        init(_ outcome: DeliveryOutcome, error: String? = nil) {
            self.outcome = outcome
            self.error = error
        }
    }

    /// Whether `text` looks like a Slack id or timestamp (`C0123ABC`, `1712345678.000100`): 1 to 64 ASCII letters,
    /// digits and dots. What a hostile answer puts there is not stored otherwise.
    package static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2E }
    }

    /// A channel's id as Slack writes it in its answers: `C` (or `G`, an old private channel) and upper-case letters
    /// and digits. A channel's name (`general`) is not one: Slack would post there but answer with the id, and no
    /// thread would be found again under the name.
    package static func isChannelId(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count >= 2 && bytes.count <= 64 && (bytes[0] == 0x43 || bytes[0] == 0x47)
            && bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
    }

    /// Slack's error code as it may be recorded and shown: at most 80 characters of letters, digits and `_`, `.`,
    /// `-` (whatever a hostile answer holds).
    static func errorCode(_ text: String) -> String {
        let kept = text.unicodeScalars.filter {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0))
        }
        let code = String(String.UnicodeScalarView(kept.prefix(80)))
        return code.isEmpty ? "unknown_error" : code
    }
}
