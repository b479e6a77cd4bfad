import Foundation
import Synchronization

/// A loopback stand-in for Slack's Web API (and its OAuth token exchange) for tests: it records every call with
/// its headers and JSON body, and answers as Slack documents.
///
///     let slack = try FakeSlack()
///     defer { slack.stop() }
///     // point SLACK_API_BASE at slack.apiBase ...
///     let posts = try await slack.waitForCalls("chat.postMessage", count: 2)
///     #expect(posts[1].string("thread_ts") == posts[0].answerTs)
///
/// Answers: `chat.postMessage` is ok with a fresh `ts` and the channel asked for (echoing the message's text and
/// blocks, as Slack does); `chat.update` is ok with the `ts`
/// asked for; `reactions.add` and `reactions.remove` are ok; `auth.test` names a fake team and bot;
/// `oauth.v2.access` returns an install payload shaped like Slack's; `conversations.history` and
/// `conversations.replies` return the messages posted to the fake, with their text, blocks and metadata. ``fail(_:times:)`` makes the next calls fail instead: `ratelimited` 429s with `Retry-After`,
/// `{"ok":false,"error":"invalid_blocks"}`, 5xx, or hostile answers (a huge body, text that is not JSON).
package final class FakeSlack: Sendable {
    /// A call as received.
    package struct Call: Sendable {
        /// The Web API method (`chat.postMessage`), the last path component.
        package var method: String
        package var request: RecordingHTTPServer.Request
        /// The request body as JSON, nil when it is not a JSON object (form bodies stay in `request.body`).
        package var json: [String: any Sendable]?
        /// The `ts` the fake answered with, for posts it accepted.
        package var answerTs: String?
        /// Whether the fake answered it with a failure.
        package var failed: Bool
        /// When it arrived.
        package var receivedAt = Date()

        package func header(_ name: String) -> String? { request.header(name) }
        /// The JSON body as Foundation objects, for path lookups (`object.string("blocks.0.text.text")`).
        package var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]) ?? [:] }
        package func string(_ key: String) -> String? { json?[key] as? String }
        /// The form fields of an `application/x-www-form-urlencoded` body (`oauth.v2.access`).
        package var form: [String: String] {
            var fields: [String: String] = [:]
            for pair in request.bodyText.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            return fields
        }
    }

    /// How the next calls fail.
    package enum Failure: Sendable, Equatable {
        /// 429 `{"ok":false,"error":"ratelimited"}` with `Retry-After: seconds`.
        case rateLimited(retryAfter: Int)
        /// 200 `{"ok":false,"error":"invalid_blocks"}` (Slack's usual way), or with `status` (some proxies say 400).
        case invalidBlocks(status: Int = 200)
        /// 200 `{"ok":false,"error":code}`.
        case error(String)
        /// A 5xx with an HTML page.
        case serverError(status: Int = 503)
        /// 200 with `megabytes` of JSON-looking filler.
        case hugeBody(megabytes: Int = 2)
        /// 200 with text that is not JSON.
        case notJSON
        /// 200 `{"ok":true}` with a hostile `ts` (control characters, far too long).
        case hostileTs
        /// `{"ok":false,"error":"slow"}` after `delay` (longer than the caller's timeout).
        case slow(delay: Duration)
        /// Exactly this answer (a hand-made `oauth.v2.access` payload, say).
        case raw(status: Int, text: String)
        /// The call is made (a post is posted) but its answer is lost: the connection closes without one.
        case answerLost
        /// The call is made at once and answered after `delay`.
        case answeredLate(delay: Duration)
    }

    /// A message the fake holds, as `conversations.history` and `conversations.replies` return it.
    struct Posted {
        var channel: String
        var ts: String
        var threadTs: String?
        var metadata: (any Sendable)?
        var text: String?
        var blocks: (any Sendable)?
    }

    private struct Locked {
        var calls: [Call] = []
        var failures: [(failure: Failure, remaining: Int?, method: String?)] = []
        // Slack's clock: a post's ts is the time it was made (each one a second on, to keep them apart).
        var nextTs = Int(Date().timeIntervalSince1970)
        var posted: [Posted] = []
    }

    /// What the server's threads share with the tests.
    private final class State: Sendable {
        let locked = Mutex(Locked())
    }

    package let server: RecordingHTTPServer
    private let state = State()

    /// The team the fake says it is.
    package static let teamId = "T0FAKETEAM"
    /// The bot user of the fake's token.
    package static let botUserId = "U0FAKEBOT"
    /// The bot token `oauth.v2.access` hands out.
    package static let installedToken = "xoxb-fake-installed-token"

    package init() throws {
        server = try RecordingHTTPServer()
        server.respond { [state] request in Self.answer(request, state: state) }
    }

    /// What SLACK_API_BASE should be: `http://127.0.0.1:PORT/api`.
    package var apiBase: String { server.url("/api") }

    /// Every call so far, in order of arrival.
    package var calls: [Call] { state.locked.withLock { $0.calls } }

    /// The calls of Web API method `method` so far.
    package func calls(_ method: String) -> [Call] { calls.filter { $0.method == method } }

    /// Makes the next `times` calls (nil: all, until ``succeed()``) fail as `failure`, or only those of Web API method
    /// `method`; failures queue up in order (one for a method lets other calls through while it waits).
    package func fail(_ failure: Failure, times: Int? = 1, method: String? = nil) {
        state.locked.withLock { $0.failures.append((failure, times, method)) }
    }

    /// Answers every call with success again.
    package func succeed() { state.locked.withLock { $0.failures = [] } }

    /// Waits (without blocking a thread) until `count` calls of `method` arrived; returns them.
    @discardableResult
    package func waitForCalls(_ method: String, count: Int, timeout: Duration = .seconds(15)) async throws -> [Call] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let received = calls(method)
            if received.count >= count { return received }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("waited \(timeout) for \(count) \(method) call(s), got \(received.count); all calls: \(calls.map(\.method))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    package func stop() { server.stop() }

    // MARK: - Answers

    private static func answer(_ request: RecordingHTTPServer.Request, state: State) -> RecordingHTTPServer.Response {
        let method = String(request.path.split(separator: "/").last ?? "")
        let json = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]
        let sendableJSON = json.map { object in object.mapValues { sendable($0) } }
        return state.locked.withLock { s in
            var call = Call(method: method, request: request, json: sendableJSON, answerTs: nil, failed: false)
            defer { s.calls.append(call) }
            if let first = s.failures.first, first.method == nil || first.method == method {
                let failure = first.failure
                if let remaining = first.remaining {
                    if remaining <= 1 { s.failures.removeFirst() } else { s.failures[0].remaining = remaining - 1 }
                }
                call.failed = true
                if failure == .answerLost {
                    var response = succeeded(method, json: json, sendableJSON: sendableJSON, form: call.form, call: &call, s: &s)
                    response.hangUp = true
                    return response
                }
                if case .answeredLate(let delay) = failure {
                    var response = succeeded(method, json: json, sendableJSON: sendableJSON, form: call.form, call: &call, s: &s)
                    response.delay = delay
                    return response
                }
                return failed(failure)
            }
            return succeeded(method, json: json, sendableJSON: sendableJSON, form: call.form, call: &call, s: &s)
        }
    }

    /// Slack's answer to a call that succeeds.
    private static func succeeded(
        _ method: String, json: [String: Any]?, sendableJSON: [String: any Sendable]?, form: [String: String], call: inout Call,
        s: inout Locked
    ) -> RecordingHTTPServer.Response {
        switch method {
        case "chat.postMessage":
            s.nextTs += 1
            let ts = "\(s.nextTs).000100"
            call.answerTs = ts
            let channel = json?["channel"] as? String ?? "C0UNKNOWN"
            s.posted.append(
                Posted(
                    channel: channel, ts: ts, threadTs: json?["thread_ts"] as? String, metadata: sendableJSON?["metadata"],
                    text: json?["text"] as? String, blocks: sendableJSON?["blocks"]))
            return ok([
                "channel": channel, "ts": ts,
                "message": ["type": "message", "text": json?["text"] ?? "", "blocks": json?["blocks"] ?? [], "ts": ts, "bot_id": "B0FAKEBOT"],
            ])
        case "chat.update":
            let ts = json?["ts"] as? String ?? ""
            call.answerTs = ts
            return ok(["channel": json?["channel"] ?? "", "ts": ts, "text": json?["text"] ?? ""])
        case "reactions.add", "reactions.remove":
            return ok([:])
        case "conversations.history", "conversations.replies":
            return history(method, form: form, posted: s.posted)
        case "auth.test":
            return ok([
                "url": "https://fake-team.slack.com/", "team": "Fake Team", "user": "msgrelay", "team_id": teamId, "user_id": botUserId,
                "bot_id": "B0FAKEBOT", "is_enterprise_install": false,
            ])
        case "oauth.v2.access":
            return ok([
                "access_token": installedToken, "token_type": "bot",
                "scope": "chat:write,commands,channels:history,groups:history,reactions:read,reactions:write,incoming-webhook",
                "bot_user_id": botUserId,
                "app_id": "A0FAKEAPP", "team": ["name": "Fake Team", "id": teamId], "enterprise": NSNull(),
                "authed_user": ["id": "U0INSTALLER"], "is_enterprise_install": false,
                "incoming_webhook": [
                    "channel": "#inbox", "channel_id": "C0FAKEINBOX", "configuration_url": "https://fake-team.slack.com/services/B0HOOK",
                    "url": "https://hooks.slack.com/services/T0FAKETEAM/B0HOOK/fake",
                ],
            ])
        default:
            return json200(["ok": false, "error": "unknown_method"])
        }
    }

    /// A channel's messages (newest first) or a thread's (oldest first) posted after `oldest`, a page of `limit` at
    /// most from `cursor` (an offset), with their metadata when `include_all_metadata` is true.
    private static func history(_ method: String, form: [String: String], posted: [Posted]) -> RecordingHTTPServer.Response {
        let channel = form["channel"] ?? ""
        let oldest = Double(form["oldest"] ?? "") ?? 0
        var matching = posted.filter { $0.channel == channel && (Double($0.ts) ?? 0) > oldest }
        if method == "conversations.replies" {
            matching = matching.filter { $0.ts == form["ts"] || $0.threadTs == form["ts"] }
        } else {
            matching = matching.filter { $0.threadTs == nil }.reversed()
        }
        let start = Int(form["cursor"] ?? "") ?? 0
        let limit = max(1, Int(form["limit"] ?? "") ?? 100)
        let page = matching.dropFirst(start).prefix(limit)
        let more = start + page.count < matching.count
        let messages: [[String: Any]] = page.map { post in
            // With its text and blocks, as Slack answers: long messages make long pages.
            var message: [String: Any] = ["type": "message", "ts": post.ts, "bot_id": "B0FAKEBOT", "text": post.text ?? ""]
            if let blocks = post.blocks { message["blocks"] = blocks }
            if let threadTs = post.threadTs { message["thread_ts"] = threadTs }
            if let metadata = post.metadata, form["include_all_metadata"] == "true" { message["metadata"] = metadata }
            return message
        }
        return ok(["messages": messages, "has_more": more, "response_metadata": ["next_cursor": more ? "\(start + page.count)" : ""]])
    }

    private static func failed(_ failure: Failure) -> RecordingHTTPServer.Response {
        switch failure {
        case .rateLimited(let seconds):
            return .init(
                status: 429, headers: [("Retry-After", "\(seconds)"), ("Content-Type", "application/json; charset=utf-8")],
                text: #"{"ok":false,"error":"ratelimited"}"#)
        case .invalidBlocks(let status):
            var response = json200([
                "ok": false, "error": "invalid_blocks",
                "response_metadata": ["messages": ["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]],
            ])
            response.status = status
            return response
        case .error(let code):
            return json200(["ok": false, "error": code])
        case .serverError(let status):
            return .init(status: status, headers: [("Content-Type", "text/html")], text: "<html><body>Service Unavailable</body></html>")
        case .hugeBody(let megabytes):
            return .init(
                status: 200, headers: [("Content-Type", "application/json")],
                body: Array(("{\"ok\":true,\"pad\":\"" + String(repeating: "x", count: megabytes << 20) + "\"}").utf8))
        case .notJSON:
            return .init(status: 200, headers: [("Content-Type", "text/plain")], text: "ok\u{0}\r\nnot json <script>")
        case .hostileTs:
            return json200(["ok": true, "channel": "C0\n\u{0}evil", "ts": String(repeating: "9", count: 500) + "\u{1b}[2J"])
        case .slow(let delay):
            var response = json200(["ok": false, "error": "slow"])
            response.delay = delay
            return response
        case .raw(let status, let text):
            return .init(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], text: text)
        case .answerLost:
            var response = json200([:])
            response.hangUp = true
            return response
        case .answeredLate(let delay):
            var response = json200([:])
            response.delay = delay
            return response
        }
    }

    private static func ok(_ fields: [String: Any]) -> RecordingHTTPServer.Response {
        json200(fields.merging(["ok": true]) { _, new in new })
    }

    /// JSON as Slack writes it: every character beyond ASCII as `\uXXXX` (UTF-16, surrogate pairs for the rest).
    private static func json200(_ object: [String: Any]) -> RecordingHTTPServer.Response {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var escaped: [UInt8] = []
        for unit in String(decoding: body, as: UTF8.self).utf16 {
            if unit < 0x80 { escaped.append(UInt8(unit)) } else { escaped += Array(String(format: "\\u%04x", unit).utf8) }
        }
        return .init(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: escaped)
    }

    /// A JSON value as a Sendable tree (strings, numbers, booleans, arrays, objects; null as NSNull's description).
    private static func sendable(_ value: Any) -> any Sendable {
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.doubleValue
        case let array as [Any]: return array.map { sendable($0) }
        case let object as [String: Any]: return object.mapValues { sendable($0) }
        default: return "null"
        }
    }
}
