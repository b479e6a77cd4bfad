import Foundation
import MsgLib
import TestSupport
import Testing

/// Thousands of malformed, oversized and random REST requests (bodies, query strings, headers, request lines) and
/// WebSocket frames, mutated from valid ones with a seeded generator, against a live relay: no 5xx, every error a
/// JSON `{"error": ...}` (an `error` frame that is never `internal`), the relay alive, an unrelated user's socket
/// still served, and its memory not growing round after round.
@Suite(.needsProcesses, .processSlot) struct HostileInputTests {
    /// Change it to explore; a failure prints the request that caused it, which replays from the same seed.
    static let seed: UInt64 = 0x5EED_2026

    /// Values that have broken servers before: NUL, times PostgreSQL cannot hold, numbers no type holds, huge or
    /// deeply nested values, injection attempts.
    static let hostileJSONValues = [
        #""\u0000""#, #""a\u0000b""#, #""0000-01-01T00:00:00Z""#, #""-infinity""#, #""294277-01-01T00:00:00Z""#, "1e309", "-1",
        "99999999999999999999999999", "0", "null", "true", "[]", "{}", #""""#, #"" ""#, #""\ud800""#, #""' OR 1=1 --""#,
        "\"" + String(repeating: "a", count: 10_001) + "\"", "\"" + String(repeating: "é", count: 5000) + "\"",
        String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000), #""ffffffff-ffff-ffff-ffff-ffffffffffff""#,
        #""00000000-0000-0000-0000-000000000000""#,
        "[" + Array(repeating: #""6f1d6b9e-3c39-4f63-9d8c-2b1c9d1e6a01""#, count: 1500).joined(separator: ",") + "]",
    ]
    static let hostileQueryValues = [
        "%00", "a%00b", "%ff%fe", "%zz", "%", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00%2B00:01", "-infinity", "infinity",
        "294277-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "99999999999999999999", "9223372036854775807", "-9223372036854775808", "-1", "0", "1e9", "", "%E2%80%AE", "'%20OR%201=1%20--",
        String(repeating: "a", count: 10_000), "true&page=2&page=3", "%22%3Cscript%3E",
    ]
    static let hostileBytes: [UInt8] = [0x00, 0xff, 0xc0, 0x80, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x7f, 0x20, 0x0a, 0x0d]

    struct Base {
        var method: String
        var path: String
        var query: [(String, String)]
        var body: String?
        var admin = false
    }

    /// Valid requests of every route, to mutate.
    static func bases(conversation: String, message: String) -> [Base] {
        let t = "2026-01-02T03:04:05Z"
        return [
            Base(method: "POST", path: "/api/messages", query: [], body: #"{"content":"hello there"}"#),
            Base(method: "POST", path: "/api/messages", query: [], body: #"{"conversation_id":"\#(conversation)","content":"x"}"#, admin: true),
            Base(method: "POST", path: "/api/conversations", query: [], body: #"{"initial_message":"hi"}"#),
            Base(
                method: "PATCH", path: "/api/messages/bulk-read", query: [],
                body: #"{"conversation_id":"\#(conversation)","message_ids":["\#(message)"]}"#, admin: true),
            Base(method: "PATCH", path: "/api/messages/\(message)", query: [], body: #"{"content":"edited"}"#),
            Base(method: "PATCH", path: "/api/messages/\(message)/read", query: [], body: nil, admin: true),
            Base(method: "PATCH", path: "/api/conversations/\(conversation)/archive", query: [], body: #"{"archived":false}"#, admin: true),
            Base(method: "GET", path: "/api/conversations", query: [("page", "1"), ("limit", "20"), ("archived", "false")], body: nil, admin: true),
            Base(method: "GET", path: "/api/conversations/\(conversation)", query: [], body: nil),
            Base(
                method: "GET", path: "/api/conversations/\(conversation)/messages",
                query: [("page", "1"), ("limit", "50"), ("before", t), ("after", "2020-01-01T00:00:00Z")], body: nil),
            Base(
                method: "GET", path: "/api/messages/search",
                query: [("q", "hello"), ("limit", "10"), ("before", t), ("after", "2020-01-01T00:00:00Z"), ("conversation_id", conversation)],
                body: nil, admin: true),
            Base(
                method: "POST", path: "/api/push/subscribe", query: [],
                body: #"{"subscription":{"endpoint":"https://push.example.com/x","keys":{"p256dh":"BAAA","auth":"AAAA"}}}"#),
            Base(method: "DELETE", path: "/api/push/subscribe", query: [], body: #"{"endpoint":"https://push.example.com/x"}"#),
            Base(method: "GET", path: "/api/push/vapid-public-key", query: [], body: nil),
            Base(method: "GET", path: "/healthz", query: [], body: nil),
        ]
    }

    /// One mutated request, as bytes on the wire.
    static func mutatedRequest(_ base: Base, token: String, random: inout SplitMix64) -> [UInt8] {
        var method = base.method
        var path = base.path
        var query = base.query
        var body = base.body.map { Array($0.utf8) }
        var headers = [("Host", "127.0.0.1"), ("Authorization", "Bearer \(token)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        var version = "HTTP/1.1"
        var explicitLength: String?
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            switch Int.random(in: 0..<10, using: &random) {
            case 0 where !query.isEmpty:
                let index = Int.random(in: query.indices, using: &random)
                query[index].1 = hostileQueryValues.randomElement(using: &random)!
            case 1:
                query.append(
                    (
                        ["page", "limit", "q", "before", "after", "archived", "conversation_id", "%00"].randomElement(using: &random)!,
                        hostileQueryValues.randomElement(using: &random)!
                    ))
            case 2, 3:
                if let original = body { body = mutate(original, random: &random) }
            case 4: body = mutate(Array((base.body ?? "{}").utf8), random: &random)
            case 5:
                let hostile: [(String, String)] = [
                    ("Authorization", "Bearer " + String(token.reversed())), ("Authorization", "Bearer"), ("Authorization", "Basic YTpi"),
                    ("Authorization", "Bearer \(token)\u{1}"), ("Content-Type", "text/plain"), ("Expect", "100-continue"),
                    ("Connection", "Upgrade, close"), ("Upgrade", "websocket"), ("X-Long", String(repeating: "x", count: 100_000)),
                    ("Transfer-Encoding", "gzip, chunked"), ("Content-Encoding", "gzip"), ("Host", ""), ("Origin", "null"),
                    ("X-\u{7f}", "y"), ("Bad Name", "z"), ("X-Nul", "a\u{0}b"),
                ]
                headers.append(hostile.randomElement(using: &random)!)
            case 6: explicitLength = ["-1", "abc", "99999999999999999999", "0", "5, 6", "1e3"].randomElement(using: &random)!
            case 7:
                method = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO", "G ET", "get", "PRI"].randomElement(using: &random)!
            case 8:
                version = ["HTTP/1.0", "HTTP/9.9", "HTTP/1.1 x", "", "HTTP/1.1\u{0}"].randomElement(using: &random)!
            case 9:
                let hostilePaths = [
                    path + "/%00", path + "/..%2f..%2fetc", "/api/messages/" + String(repeating: "a", count: 5000), "*",
                    "http://elsewhere\(path)", path.replacingOccurrences(of: "-", with: "\u{0}"), path + "?" + String(repeating: "&", count: 1000),
                    "/api//messages", "/API/MESSAGES",
                ]
                path = hostilePaths.randomElement(using: &random)!
            default: break
            }
        }
        let queryText = query.isEmpty ? "" : "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        var head = "\(method) \(path)\(queryText) \(version)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let explicitLength {
            head += "Content-Length: \(explicitLength)\r\n"
        } else if let body {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + (body ?? [])
    }

    /// `bytes` with a few random changes: flipped, inserted or removed bytes, a value swapped for a hostile one, a
    /// truncation, or a part repeated past the body limit.
    static func mutate(_ bytes: [UInt8], random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty: bytes[position] ^= UInt8.random(in: 1...255, using: &random)
            case 1: bytes.insert(hostileBytes.randomElement(using: &random)!, at: position)
            case 2 where !bytes.isEmpty: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...8, using: &random)))
            case 3, 4:
                // Swap a JSON value (a string, number or literal) for a hostile one.
                let text = String(decoding: bytes, as: UTF8.self)
                let values = text.ranges(of: #/"[^"\\]*"|-?[0-9]+|true|false|null/#)
                guard let range = values.randomElement(using: &random) else { break }
                bytes = Array(text.replacingCharacters(in: range, with: hostileJSONValues.randomElement(using: &random)!).utf8)
            case 5: bytes = Array(bytes.prefix(position))
            default:
                if Int.random(in: 0..<8, using: &random) == 0 {
                    bytes += Array(repeating: UInt8(ascii: " "), count: 300 * 1024)
                } else {
                    bytes.insert(contentsOf: bytes[position...].prefix(32), at: position)
                }
            }
        }
        return bytes
    }

    /// Valid frames to mutate.
    static func frames(conversation: String, message: String) -> [String] {
        [
            #"{"type":"send_message","data":{"content":"hello"}}"#,
            #"{"type":"send_message","data":{"conversation_id":"\#(conversation)","content":"hi"}}"#,
            #"{"type":"mark_read","data":{"message_ids":["\#(message)"]}}"#,
            #"{"type":"typing","data":{"conversation_id":"\#(conversation)","is_typing":true}}"#,
            #"{"type":"ping"}"#,
            #"{"type":"resume","data":{"last_message_id":"\#(message)"}}"#,
            #"{"type":"resume","data":{"cursor":"AAAAAAAAAAAA"}}"#,
        ]
    }

    /// The relay's resident memory, in KiB.
    static func residentKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// What one round saw.
    struct RoundResult: Sendable {
        var requests = 0
        var unanswered = 0
        var failures: [String] = []
    }

    /// Sends `count` mutated requests, each on its own connection, and checks every answer.
    static func requestRound(
        port: Int, count: Int, seed: UInt64, bases: [Base], userToken: String, adminToken: String
    ) async throws -> RoundResult {
        try await onOwnThread {
            var random = SplitMix64(seed: seed)
            var result = RoundResult()
            for _ in 0..<count {
                let base = bases.randomElement(using: &random)!
                let request = mutatedRequest(base, token: base.admin ? adminToken : userToken, random: &random)
                let response = try RawHTTPConnection.exchange(port: port, request, timeout: 15)
                result.requests += 1
                let shown = String(decoding: request.prefix(300), as: UTF8.self)
                guard let response else {
                    result.unanswered += 1
                    continue
                }
                if response.status >= 500 {
                    result.failures.append("\(response.status) \(response.text.prefix(200)) for: \(shown)")
                } else if response.status >= 400, response.error == nil {
                    result.failures.append("\(response.status) without a JSON error (\(response.text.prefix(100))) for: \(shown)")
                }
            }
            return result
        }
    }

    /// Sends `count` mutated frames over sockets of `user`, opening another whenever the relay closes one, and
    /// checks that no answer is an `internal` error.
    static func frameRound(relay: TestRelay, user: User, count: Int, seed: UInt64, frames: [String]) async throws -> [String] {
        var random = SplitMix64(seed: seed)
        var failures: [String] = []
        var socket = try relay.socket(user)
        var sockets = [socket]
        for _ in 0..<count {
            if socket.isClosed {
                socket = try relay.socket(user)
                sockets.append(socket)
            }
            let frame = frames.randomElement(using: &random)!
            let mutated = String(decoding: mutate(Array(frame.utf8), random: &random), as: UTF8.self)
            try? socket.sendText(mutated)
        }
        // A new socket of the same user is served: a ping is answered. (The last one may be closing, for a frame
        // too large.)
        let probe = try relay.socket(user)
        sockets.append(probe)
        try probe.send(["type": "ping"])
        _ = try await probe.next(type: "pong", timeout: 20)
        for frame in sockets.flatMap({ $0.all(type: "error") }) where (frame.data["code"] as? String) == "internal" {
            failures.append("internal error frame: \(frame.text)")
        }
        for socket in sockets where !socket.isClosed { try? socket.sendClose() }
        return failures
    }

    // Alone it takes under 20 s; beside the whole suite it runs as long as the suite does.
    @Test(.timeLimit(.minutes(10))) func mutatedRequestsAndFramesNeverBreakTheRelay() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(
            database: database,
            environment: [
                "MESSAGE_RATE_LIMIT_PER_MINUTE": "0", "MESSAGE_RATE_LIMIT_PER_HOUR": "0", "MESSAGE_RATE_LIMIT_PER_DAY": "0",
                // A request whose body never comes whole is not waited for long.
                "HTTP_BODY_TIMEOUT_SECONDS": "1",
                // The bystander sends nothing while the rounds run, which beside the whole suite take minutes.
                "WS_IDLE_TIMEOUT_SECONDS": "900",
                // Push configured, so that its routes answer rather than report the missing configuration (503).
                "VAPID_PUBLIC_KEY": PushEnvironment.keys.publicKeyBase64URL, "VAPID_PRIVATE_KEY": PushEnvironment.keys.privateKeyBase64URL,
                "VAPID_SUBJECT": "mailto:ops@example.org",
            ])
        let (alice, admin) = (relay.token(f.alice), relay.token(f.admin))
        let sent = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "hello there"])
        let conversation = try #require(sent.object.string("conversation_id"))
        let message = try #require(sent.object.string("id"))
        let bobsFirst = try await relay.request("POST", "/api/messages", token: relay.token(f.bob), json: ["content": "bob here"])
        let bobsConversation = try #require(bobsFirst.object.string("conversation_id"))
        // The bystander: bob, whom nothing below concerns.
        let bystander = try relay.socket(f.bob)
        _ = try await bystander.next(type: "connected")
        let bases = Self.bases(conversation: conversation, message: message)
        let frames = Self.frames(conversation: conversation, message: message)

        // Warm-up round, then the memory it settled at; then the main round.
        let warmUp = try await Self.requestRound(
            port: relay.port, count: 300, seed: Self.seed, bases: bases, userToken: alice, adminToken: admin)
        var failures = warmUp.failures
        failures += try await Self.frameRound(relay: relay, user: f.alice, count: 200, seed: Self.seed, frames: frames)
        let settled = try Self.residentKiB(relay.process.pid)
        let main = try await Self.requestRound(
            port: relay.port, count: 1700, seed: Self.seed &+ 1, bases: bases, userToken: alice, adminToken: admin)
        failures += main.failures
        failures += try await Self.frameRound(relay: relay, user: f.alice, count: 1000, seed: Self.seed &+ 1, frames: frames)
        let final = try Self.residentKiB(relay.process.pid)

        let failureCount = failures.count
        #expect(failureCount == 0, "first failures:\n\(failures.prefix(5).joined(separator: "\n"))")
        // A closed connection without an answer is for requests HTTP cannot parse at all, and those are rare here.
        #expect(main.unanswered < main.requests / 10, "\(main.unanswered) of \(main.requests) unanswered")
        #expect(relay.process.isRunning)
        #expect(final - settled < 64 * 1024, "resident memory grew from \(settled) KiB to \(final) KiB")
        // The bystander's socket is still open and still receives its messages.
        #expect(!bystander.isClosed)
        let reply = try await relay.request(
            "POST", "/api/messages", token: admin, json: ["conversation_id": bobsConversation, "content": "for bob only"])
        #expect(reply.status == 201)
        let delivered = try await bystander.next(type: "message")
        #expect(delivered.data["content"] as? String == "for bob only")
        try await relay.stop()
    }
}
