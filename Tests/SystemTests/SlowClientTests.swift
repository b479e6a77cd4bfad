import Foundation
import MsgLib
import TestSupport
import Testing

/// Slow and silent HTTP clients (slowloris) are disconnected within the relay's timeouts, before and after the
/// WebSocket upgrade, while a normal client is served meanwhile.
@Suite(.needsProcesses, .processSlot) struct SlowClientTests {
    /// Short timeouts, so that each kind of slow client is cut within seconds.
    static let environment: [String: String?] = [
        "HTTP_HEADER_TIMEOUT_SECONDS": "1", "HTTP_BODY_TIMEOUT_SECONDS": "1.5", "HTTP_IDLE_TIMEOUT_SECONDS": "2",
        "WS_IDLE_TIMEOUT_SECONDS": "2",
    ]

    /// A slow client: what it does on its own thread, and by when (seconds after it started) the relay must have
    /// closed its connection.
    struct SlowClient: Sendable {
        var name: String
        var bound: TimeInterval
        var act: @Sendable (RawHTTPConnection) -> Void
    }

    /// Sends `text` one byte every `interval` seconds until the connection closes (or the text ends).
    static func trickle(_ text: String, every interval: TimeInterval) -> @Sendable (RawHTTPConnection) -> Void {
        { connection in
            for byte in text.utf8 {
                guard connection.send([byte]) else { return }
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }

    @Test func slowClientsAreCutWhileOthersAreServed() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: Self.environment)
        let token = relay.token(f.alice)
        let longHead = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + String(repeating: "a", count: 60) + "\r\n\r\n"
        let clients: [SlowClient] = [
            SlowClient(name: "silent from the start", bound: 4) { _ in },
            SlowClient(name: "a head trickled a byte every 0.2 s", bound: 4, act: Self.trickle(longHead, every: 0.2)),
            SlowClient(name: "a WebSocket upgrade that never ends its head", bound: 4) { connection in
                connection.send("GET /ws/messages?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
            },
            SlowClient(name: "a head and no body", bound: 5) { connection in
                connection.send(
                    "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
                )
            },
            SlowClient(name: "a body trickled a byte every 0.4 s", bound: 6) { connection in
                connection.send(
                    "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                )
                Self.trickle(String(repeating: " ", count: 100), every: 0.4)(connection)
            },
            SlowClient(name: "kept alive after one request, then silent", bound: 6) { connection in
                connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                _ = connection.readResponse()
            },
        ]
        let outcomes = clients.map { client in
            Task {
                try await onOwnThread { () -> (String, TimeInterval?, TimeInterval) in
                    let connection = try RawHTTPConnection(port: relay.port)
                    let start = Date()
                    client.act(connection)
                    let closed = connection.waitForClose(timeout: max(0, client.bound - Date().timeIntervalSince(start)))
                    return (client.name, closed ? Date().timeIntervalSince(start) : nil, client.bound)
                }
            }
        }
        // Meanwhile a normal client is served, at once (timed on a thread of its own: the test's tasks may wait for
        // a cooperative thread on a busy machine).
        let bobsToken = relay.token(f.bob)
        let served = try await onOwnThread { () -> [(Int, TimeInterval)] in
            try (0..<5).flatMap { _ -> [(Int, TimeInterval)] in
                let body = #"{"content":"served meanwhile"}"#
                let requests = [
                    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                    "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(bobsToken)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)",
                ]
                let timed = try requests.map { request -> (Int, TimeInterval) in
                    let start = Date()
                    let response = try RawHTTPConnection.exchange(port: relay.port, Array(request.utf8))
                    return (response?.status ?? 0, Date().timeIntervalSince(start))
                }
                Thread.sleep(forTimeInterval: 0.3)
                return timed
            }
        }
        #expect(served.map(\.0) == Array(repeating: [200, 201], count: 5).flatMap { $0 })
        #expect(served.allSatisfy { $0.1 < 3 }, "answer times: \(served.map(\.1))")
        for outcome in outcomes {
            let (name, closedAfter, bound) = try await outcome.value
            #expect(closedAfter != nil, "\(name): still open after \(bound) s")
            // Cut by its timeout, not at once (the shortest is 1 s).
            if let closedAfter { #expect(closedAfter >= 0.8, "\(name): closed after \(closedAfter) s") }
        }
        #expect(relay.process.isRunning)
        try await relay.stop()
    }

    @Test func aSilentWebSocketIsClosedByItsIdleTimeout() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        var environment = Self.environment
        environment["WS_IDLE_TIMEOUT_SECONDS"] = "4"
        let relay = try await TestRelay(database: database, environment: environment)
        let opened = Date()
        let socket = try relay.socket(f.alice)
        let closedAfter = try await onOwnThread { () -> TimeInterval? in
            while !socket.isClosed, Date().timeIntervalSince(opened) < 30 { usleep(20_000) }
            return socket.isClosed ? Date().timeIntervalSince(opened) : nil
        }
        // The HTTP deadlines (at most 2 s) are gone once upgraded: the silent socket is closed by the WebSocket idle
        // timeout, 4 s after it opened.
        let closed = try #require(closedAfter, "the silent socket is still open")
        #expect(closed >= 3.5, "closed after \(closed) s")
        #expect(socket.received.first?.type == "connected")
        try await relay.stop()
    }

    @Test func oversizedBodiesAre413AndTheRestIsNotReadForever() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: Self.environment)
        let token = relay.token(f.alice)
        let (response, closed) = try await onOwnThread { () -> (RawHTTPConnection.Response?, Bool) in
            let connection = try RawHTTPConnection(port: relay.port)
            connection.send(
                "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
            )
            connection.send(Array(repeating: UInt8(ascii: " "), count: 300 * 1024))
            let response = connection.readResponse()
            // Sending on and on: the relay stops reading and closes the connection.
            let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 * 1024)
            var sends = 0
            while sends < 200, connection.send(chunk) { sends += 1 }
            return (response, connection.waitForClose(timeout: 5))
        }
        #expect(response?.status == 413)
        #expect(response?.error == "Request body too large (at most 256 KiB)")
        #expect(closed)
        // Chunked, too.
        let chunked = try await onOwnThread {
            let connection = try RawHTTPConnection(port: relay.port)
            connection.send(
                "POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            for _ in 0..<5 { connection.send("10000\r\n" + String(repeating: " ", count: 0x10000) + "\r\n") }
            return connection.readResponse()
        }
        #expect(chunked?.status == 413 && chunked?.error != nil)
        let after = try await relay.request("POST", "/api/messages", token: token, json: ["content": "still fine"])
        #expect(after.status == 201)
        #expect(relay.process.isRunning)
        try await relay.stop()
    }
}
