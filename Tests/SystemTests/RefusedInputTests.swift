import Foundation
import MsgLib
import TestSupport
import Testing

/// NUL in any text and times PostgreSQL cannot hold are 400s naming the field (an `error` frame on a socket),
/// never a 500 and never stored cut short.
@Suite(.needsProcesses, .processSlot) struct RefusedInputTests {
    @Test func nulIsRefusedOnEveryRESTAndSocketTextPath() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let (alice, admin) = (relay.token(f.alice), relay.token(f.admin))
        let sent = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "first"])
        let message = try #require(sent.object.string("id"))
        let cases: [(String, String, String, [String: Any]?, String)] = [
            ("POST", "/api/messages", alice, ["content": "a\u{0}b"], "Content must not contain NUL characters"),
            ("POST", "/api/conversations", relay.token(f.bob), ["initial_message": "a\u{0}b"], "Content must not contain NUL characters"),
            ("PATCH", "/api/messages/\(message)", alice, ["content": "\u{0}"], "Content must not contain NUL characters"),
            ("GET", "/api/messages/search?q=%00", admin, nil, "The search query must not contain NUL characters"),
            (
                "POST", "/api/push/subscribe", alice,
                ["subscription": ["endpoint": "https://push.example.com/\u{0}", "keys": ["p256dh": "x", "auth": "y"]]],
                "The endpoint must not contain NUL characters"
            ),
            ("DELETE", "/api/push/subscribe", alice, ["endpoint": "https://push.example.com/\u{0}"], "The endpoint must not contain NUL characters"),
        ]
        for (method, path, token, json, expected) in cases {
            let response = try await relay.request(method, path, token: token, json: json)
            #expect(response.status == 400 && response.error == expected, "\(method) \(path): \(response.status) \(response.text)")
        }
        // Query parameters that must be ids or times refuse a NUL like any other malformed value.
        for path in ["/api/messages/search?q=x&conversation_id=%00", "/api/conversations?page=1%00", "/api/conversations?archived=true%00"] {
            let response = try await relay.request("GET", path, token: admin)
            #expect(response.status == 400 && response.error != nil, "\(path): \(response.status)")
        }
        // Over the socket, an error frame naming the content; the socket goes on.
        let socket = try relay.socket(f.alice)
        _ = try await socket.next(type: "connected")
        try socket.send(["type": "send_message", "data": ["content": "x\u{0}y"]])
        let error = try await socket.next(type: "error")
        #expect(error.data["code"] as? String == "invalid_request")
        #expect(error.data["message"] as? String == "Content must not contain NUL characters")
        try socket.send(["type": "send_message", "data": ["content": "fine"]])
        _ = try await socket.next(type: "message")
        // Only the two valid messages were stored.
        #expect(try database.connect().scalar("SELECT count(*) FROM messages", as: Int.self) == 2)
        try await relay.stop()
    }

    @Test func timesPostgreSQLCannotHoldAre400() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let admin = relay.token(f.admin)
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "hello"])
        let conversation = try #require(sent.object.string("conversation_id"))
        let times = [
            "0000-01-01T00:00:00Z", "0001-01-01T00:00:00%2B00:01", "294277-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "-infinity", "infinity",
            "99999999999999999999", "-1", "1e308", "9999-12-31T23:59:59-00:01",
        ]
        for time in times {
            for parameter in ["before", "after"] {
                for path in ["/api/conversations/\(conversation)/messages?\(parameter)=\(time)", "/api/messages/search?q=hello&\(parameter)=\(time)"]
                {
                    let response = try await relay.request("GET", path, token: admin)
                    #expect(response.status == 400, "\(path): \(response.status) \(response.text)")
                    #expect(response.error == "\(parameter) must be an RFC 3339 timestamp from year 0001 to 9999, e.g. 2026-01-02T03:04:05Z")
                }
            }
        }
        // The ends of the range are accepted.
        for time in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"] {
            for path in ["/api/conversations/\(conversation)/messages?before=\(time)", "/api/messages/search?q=hello&after=\(time)"] {
                let response = try await relay.request("GET", path, token: admin)
                #expect(response.status == 200, "\(path): \(response.status) \(response.text)")
            }
        }
        try await relay.stop()
        #expect(!relay.process.text.contains("request failed"))
    }
}
