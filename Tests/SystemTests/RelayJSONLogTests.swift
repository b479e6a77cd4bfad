import Foundation
import MsgLib
import TestSupport
import Testing

/// `LOG_FORMAT=json`: every line the relay writes is one JSON object with the request fields, and tokens and message
/// bodies stay out of it as they do in the text format.
@Suite(.needsProcesses, .processSlot) struct RelayJSONLogTests {
    @Test func everyLineIsJSONWithTheRequestFieldsAndNoSecrets() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["LOG_FORMAT": "json", "MESSAGE_RATE_LIMIT_PER_MINUTE": "1"])
        let token = relay.token(f.alice)
        let body = "a body that must stay out of the log"
        #expect(try await relay.request("GET", "/api/conversations", token: token).status == 200)
        #expect(try await relay.request("POST", "/api/messages", token: token, json: ["content": body]).status == 201)
        // Over the limit: a 4xx with an error kind.
        #expect(try await relay.request("POST", "/api/messages", token: token, json: ["content": body + " again"]).status == 429)
        #expect(try await relay.request("GET", "/api/conversations/\(UUID())", token: token).status == 404)
        // A token in the query string, and a socket that sends a message with its token in the URL.
        #expect(try await relay.request("GET", "/healthz?token=\(token)").status == 200)
        let adminToken = relay.token(f.admin)
        let socket = try relay.socket(f.admin)
        _ = try await socket.next(type: "connected")
        let conversation = try #require(try database.connect().scalar("SELECT id FROM conversations WHERE user_id = $1", [f.alice.id], as: UUID.self))
        try socket.send(["type": "send_message", "data": ["conversation_id": conversation.lowercasedString, "content": "socket body \u{1B}[31m"]])
        _ = try await socket.next { ($0.data["content"] as? String)?.hasPrefix("socket body") == true }
        // The text of a bad token comes back in no log line either.
        #expect(try await relay.request("GET", "/api/conversations", token: "not.a.token-\(body)").status == 401)
        try await relay.stop()

        let output = relay.process.text
        #expect(!output.contains(token) && !output.contains(adminToken))
        #expect(!output.contains(body) && !output.contains("socket body"))
        var lines: [[String: Any]] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let object = try #require(
                try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
            let time = try #require(object["time"] as? String, "no time: \(line)")
            #expect(time.hasSuffix("Z") && Timestamp(rfc3339: time) != nil, "\(time)")
            #expect(["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(object["level"] as? String ?? ""))
            #expect(object["message"] is String)
            lines.append(object)
        }
        #expect(output.hasSuffix("\n") && lines.count >= 8)
        let requests = lines.filter { $0["message"] as? String == "request" }
        func request(_ route: String, _ status: Int) -> [String: Any]? {
            requests.first { $0["route"] as? String == route && $0["status"] as? Int == status }
        }
        let refused = try #require(request("/api/messages", 429), "\(requests)")
        #expect(refused["error_kind"] as? String == "rate_limited")
        #expect(refused["method"] as? String == "POST")
        #expect(refused["request_id"] != nil)
        #expect((refused["duration_ms"] as? Double).map { $0 >= 0 } == true)
        #expect(request("/api/conversations/{id}", 404)?["error_kind"] as? String == "not_found")
        #expect(request("/api/conversations", 401)?["error_kind"] as? String == "unauthenticated")
        let ok = try #require(request("/api/messages", 201))
        #expect(ok["error_kind"] == nil)
        #expect(Set(requests.compactMap { $0["request_id"].map { "\($0)" } }).count == requests.count)
        #expect(relay.process.exitStatus == 0)
    }

    @Test func anUnknownLogFormatStopsTheRelayAtStart() async throws {
        let database = try await TestDatabase.create()
        let result = try await ProcessRunner.ours(
            "msgrelay", ["--port", "0"],
            environment: ["DATABASE_URL": database.conninfo, "JWT_SECRET": TestRelay.secret, "LOG_FORMAT": "yaml"])
        #expect(result.status == ExitStatus.config.rawValue)
        #expect(result.stderr == "msgrelay: LOG_FORMAT must be text or json, not \"yaml\"\n")
        #expect(result.stdout.isEmpty)
    }
}
