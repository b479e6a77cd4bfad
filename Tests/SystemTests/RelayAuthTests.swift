import Foundation
import MsgLib
import TestSupport
import Testing

/// Authentication, the authorization matrix, and hostile input, over real HTTP.
@Suite(.needsProcesses, .processSlot) struct RelayAuthTests {
    static func token(header: String, payload: String, secret: String = TestRelay.secret) -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(LibCrypto.hmacSHA256(key: Array(secret.utf8), data: Array(input.utf8)))
    }

    @Test func everyAPIRouteRequiresAValidToken() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let exp = Timestamp.now().secondsSinceEpoch + 600
        let badTokens: [(String?, String)] = [
            (nil, "Missing bearer token"),
            ("not.a.jwt", "Invalid token"),
            (
                Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"\#(f.alice.id)","exp":\#(exp)}"#, secret: "wrong"),
                "Invalid token signature"
            ),
            (Self.token(header: #"{"alg":"none"}"#, payload: #"{"sub":"\#(f.alice.id)","exp":\#(exp)}"#), "Invalid token algorithm"),
            (Self.token(header: #"{"alg":"HS384"}"#, payload: #"{"sub":"\#(f.alice.id)","exp":\#(exp)}"#), "Invalid token algorithm"),
            (Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"\#(f.alice.id)","exp":\#(exp - 1200)}"#), "Token expired"),
            (Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"\#(f.alice.id)"}"#), "Invalid token"),
            (Self.token(header: #"{"alg":"HS256"}"#, payload: #"{"sub":"\#(UUID())","exp":\#(exp)}"#), "Unknown user"),
        ]
        let id = UUID().lowercasedString
        let routes = [
            ("GET", "/api/conversations"), ("POST", "/api/conversations"), ("GET", "/api/conversations/\(id)"),
            ("PATCH", "/api/conversations/\(id)/archive"), ("DELETE", "/api/conversations/\(id)"),
            ("GET", "/api/conversations/\(id)/messages"), ("POST", "/api/messages"), ("GET", "/api/messages/search?q=x"),
            ("PATCH", "/api/messages/bulk-read"), ("PATCH", "/api/messages/\(id)/read"), ("PATCH", "/api/messages/\(id)"),
            ("DELETE", "/api/messages/\(id)"),
        ]
        for (method, path) in routes {
            for (token, message) in badTokens {
                let body: Any? = method == "GET" || method == "DELETE" ? nil : ["content": "x"]
                let response = try await relay.request(method, path, token: token, json: body)
                #expect(response.status == 401, "\(method) \(path)")
                #expect(response.error == message, "\(method) \(path)")
            }
        }
        let basic = try await relay.request("GET", "/api/conversations", headers: ["Authorization": "Basic YTpi"])
        #expect(basic.status == 401)
        #expect(basic.headers["www-authenticate"] == "Bearer")
        // A path or a method the API does not have is 401 without a token too (the routes cannot be probed), 404 with one.
        for (method, path) in [("GET", "/api/nonexistent"), ("GET", "/api/push/subscribe"), ("PUT", "/api/messages"), ("GET", "/api")] {
            let anonymous = try await relay.request(method, path)
            #expect(anonymous.status == 401 && anonymous.headers["www-authenticate"] == "Bearer", "\(method) \(path): \(anonymous.status)")
            let known = try await relay.request(method, path, token: relay.token(f.alice))
            #expect(known.status == 404 || known.status == 405, "\(method) \(path) with a token: \(known.status)")
        }
        // What needs no token still needs none.
        #expect(try await relay.request("GET", "/api/openapi.json").status == 200)
        #expect(try await relay.request("POST", "/api/slack/events").status != 401)
        try await relay.stop()
    }

    /// Alice, Bob and the admin against every route that names Alice's conversation or message.
    @Test func authorizationMatrix() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: ["MESSAGE_RATE_LIMIT_PER_MINUTE": "0"])
        let tokens = ["alice": relay.token(f.alice), "bob": relay.token(f.bob), "admin": relay.token(f.admin)]
        _ = try await relay.request("POST", "/api/messages", token: tokens["bob"], json: ["content": "bob's own"])

        struct Case {
            var name: String
            var method: String
            var path: (_ conversation: String, _ fromAlice: String, _ fromAdmin: String) -> String
            var body: (_ conversation: String, _ fromAlice: String) -> Any?
            var expected: [String: Int]
        }
        let cases: [Case] = [
            Case(
                name: "show", method: "GET", path: { c, _, _ in "/api/conversations/\(c)" }, body: { _, _ in nil },
                expected: ["alice": 200, "bob": 403, "admin": 200]),
            Case(
                name: "messages", method: "GET", path: { c, _, _ in "/api/conversations/\(c)/messages" }, body: { _, _ in nil },
                expected: ["alice": 200, "bob": 403, "admin": 200]),
            Case(
                name: "send", method: "POST", path: { _, _, _ in "/api/messages" }, body: { c, _ in ["conversation_id": c, "content": "hi"] },
                expected: ["alice": 201, "bob": 403, "admin": 201]),
            Case(
                name: "archive", method: "PATCH", path: { c, _, _ in "/api/conversations/\(c)/archive" }, body: { _, _ in ["archived": false] },
                expected: ["alice": 403, "bob": 403, "admin": 200]),
            Case(
                name: "bulk read", method: "PATCH", path: { _, _, _ in "/api/messages/bulk-read" }, body: { c, _ in ["conversation_id": c] },
                expected: ["alice": 200, "bob": 403, "admin": 200]),
            Case(
                name: "read alice's", method: "PATCH", path: { _, m, _ in "/api/messages/\(m)/read" }, body: { _, _ in nil },
                expected: ["alice": 403, "bob": 403, "admin": 200]),
            Case(
                name: "read admin's", method: "PATCH", path: { _, _, m in "/api/messages/\(m)/read" }, body: { _, _ in nil },
                expected: ["alice": 200, "bob": 403, "admin": 403]),
            Case(
                name: "edit alice's", method: "PATCH", path: { _, m, _ in "/api/messages/\(m)" }, body: { _, _ in ["content": "new"] },
                expected: ["alice": 200, "bob": 403, "admin": 403]),
            Case(
                name: "search in alice's", method: "GET", path: { c, _, _ in "/api/messages/search?q=hello&conversation_id=\(c)" },
                body: { _, _ in nil }, expected: ["alice": 200, "bob": 403, "admin": 200]),
            Case(
                name: "delete alice's", method: "DELETE", path: { _, m, _ in "/api/messages/\(m)" }, body: { _, _ in nil },
                expected: ["bob": 403, "alice": 204, "admin": 204]),
            Case(
                name: "delete conversation", method: "DELETE", path: { c, _, _ in "/api/conversations/\(c)" }, body: { _, _ in nil },
                expected: ["alice": 403, "bob": 403, "admin": 204]),
        ]
        for testCase in cases {
            for who in ["bob", "alice", "admin"] {
                // Fresh messages each time, so one actor's change never decides another's outcome.
                let fromAlice = try await relay.request("POST", "/api/messages", token: tokens["alice"], json: ["content": "hello from alice"])
                let conversation = fromAlice.object.string("conversation_id")!
                let fromAdmin = try await relay.request(
                    "POST", "/api/messages", token: tokens["admin"], json: ["conversation_id": conversation, "content": "hello from admin"])
                let path = testCase.path(conversation, fromAlice.object.string("id")!, fromAdmin.object.string("id")!)
                let response = try await relay.request(
                    testCase.method, path, token: tokens[who], json: testCase.body(conversation, fromAlice.object.string("id")!))
                #expect(response.status == testCase.expected[who], "\(testCase.name) as \(who): \(response.text)")
            }
        }
        try await relay.stop()
    }

    @Test func hostileInputGetsClearErrorsNeverA500() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let alice = relay.token(f.alice)
        let bodies: [(String, String, Data, Int)] = [
            ("POST", "/api/messages", Data("{not json".utf8), 400),
            ("POST", "/api/messages", Data("[]".utf8), 400),
            ("POST", "/api/messages", Data(#"{"content": 42}"#.utf8), 400),
            ("POST", "/api/messages", Data(#"{"content": null}"#.utf8), 400),
            ("POST", "/api/messages", Data(#"{"conversation_id": "zzz", "content": "x"}"#.utf8), 400),
            ("POST", "/api/messages", Data(#"{"conversation_id": 7, "content": "x"}"#.utf8), 400),
            ("POST", "/api/messages", Data(), 400),
            ("POST", "/api/messages", Data(#"{"content": "\u0000 nul"}"#.utf8), 400),
            ("POST", "/api/conversations", Data(#"{"initial_message": ["a"]}"#.utf8), 400),
            ("PATCH", "/api/messages/bulk-read", Data(#"{"conversation_id": "x"}"#.utf8), 400),
            ("POST", "/api/messages", Data(("{\"content\": \"" + String(repeating: "a", count: 300_000) + "\"}").utf8), 413),
        ]
        for (method, path, body, status) in bodies {
            let response = try await relay.request(method, path, token: alice, body: body)
            #expect(response.status == status, "\(method) \(path) \(String(decoding: body.prefix(40), as: UTF8.self)): \(response.text.prefix(200))")
            #expect(response.error != nil)
        }
        // NUL cannot be stored by PostgreSQL: refused by name, never cut short at the NUL.
        let nul = try await relay.request("POST", "/api/messages", token: alice, json: ["content": "before\u{0}after"])
        #expect(nul.status == 400 && nul.error == "Content must not contain NUL characters")
        let search = try await relay.request("GET", "/api/messages/search?q=a%00b", token: alice)
        #expect(search.status == 400 && search.error == "The search query must not contain NUL characters")
        for path in ["/api/conversations/%00", "/api/messages/'%20OR%201=1/read", "/api/conversations/\(UUID())x/messages"] {
            let response = try await relay.request("GET", path, token: alice)
            #expect(response.status >= 400 && response.status < 500, "\(path) gave \(response.status)")
        }
        let unknown = try await relay.request("GET", "/api/nothing-here", token: alice)
        #expect(unknown.status == 404 && unknown.error != nil)
        let wrongMethod = try await relay.request("PUT", "/api/messages", token: alice, json: ["content": "x"])
        #expect(wrongMethod.status >= 400 && wrongMethod.status < 500 && wrongMethod.error != nil)
        try await relay.stop()
    }
}

extension RelayAuthTests {
    @Test func hugePageNumbersAreRefusedNotFatal() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database)
        let sent = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "x"])
        let conversation = try #require(sent.object.string("conversation_id"))
        for path in [
            "/api/conversations?page=9223372036854775807", "/api/conversations/\(conversation)/messages?page=9223372036854775807&limit=200",
            "/api/conversations?page=99999999999999999999",
        ] {
            let response = try await relay.request("GET", path, token: relay.token(f.admin))
            #expect(response.status == 400, "\(path)")
        }
        let deep = try await relay.request("GET", "/api/conversations/\(conversation)/messages?page=1000000&limit=200", token: relay.token(f.admin))
        #expect(deep.status == 200 && deep.object.array("messages").isEmpty)
        #expect(deep.object[path: "pagination.has_more"] as? Bool == false)
        #expect(relay.process.isRunning)
        try await relay.stop()
    }
}
