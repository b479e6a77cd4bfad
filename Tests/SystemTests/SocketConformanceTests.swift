import Foundation
import MsgLib
import TestSupport
import Testing

/// Frames outside the protocol's text: binary frames are limited like the others, text that is not UTF-8 and close
/// codes no endpoint may send are answered as RFC 6455 says, refusals of a send answer its `client_id`, and nothing a
/// socket sends acts once the relay began closing it.
@Suite(.needsProcesses, .processSlot) struct SocketConformanceTests {
    @Test func binaryFramesCountAgainstTheFrameLimit() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(
            database: database, environment: CommitOrderTests.unlimited.merging(["WS_FRAMES_PER_SECOND": "2", "WS_FRAME_BURST": "3"]) { $1 })
        let socket = try await SocketLimitsTests.connected(relay, f.alice)
        for _ in 0..<4 { try socket.sendFrame(opcode: 2, []) }
        let refusal = try await socket.next { $0.type == "error" && $0.data["code"] as? String != "unsupported" }
        #expect(refusal.data["code"] as? String == "too_many_frames")
        #expect(socket.all(type: "error").filter { $0.data["code"] as? String == "unsupported" }.count <= 3)
        for _ in 0..<200 { try socket.sendFrame(opcode: 2, []) }
        let close = try await socket.next { $0.isClose }
        #expect(close.closeCode == 1008)
        try await relay.stop()
    }

    @Test func textThatIsNotUTF8FailsTheConnection() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let socket = try await SocketLimitsTests.connected(relay, f.alice)
        let text = Array(#"{"type":"send_message","data":{"content":"bad "#.utf8) + [0xC3, 0x28] + Array(#""}}"#.utf8)
        try socket.sendFrame(opcode: 1, text)
        #expect(try await socket.next { $0.isClose }.closeCode == 1007)
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 0)
        try await relay.stop()
    }

    @Test func closeCodesNoEndpointMaySendAreAnsweredWithAProtocolError() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        for (sent, echoed) in [(1005, 1002), (1006, 1002), (1015, 1002), (999, 1002), (2000, 1002), (1000, 1000), (4000, 4000)] {
            let socket = try await SocketLimitsTests.connected(relay, f.alice)
            try socket.sendClose(UInt16(sent))
            #expect(try await socket.next { $0.isClose }.closeCode == echoed, "\(sent)")
        }
        let oneByte = try await SocketLimitsTests.connected(relay, f.alice)
        try oneByte.sendFrame(opcode: 8, [0x03])
        #expect(try await oneByte.next { $0.isClose }.closeCode == 1002)
        try await relay.stop()
    }

    @Test func aRefusedSendAnswersItsClientId() async throws {
        let database = try await TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let socket = try await SocketLimitsTests.connected(relay, f.alice)
        let clientId = UUID().uuidString.lowercased()
        let ids = (0...AttachmentConfiguration.maxPerMessage).map { _ in UUID().uuidString.lowercased() }
        for data: [String: Any] in [
            ["content": "x", "client_id": clientId, "conversation_id": "nope"],
            ["content": "x", "client_id": clientId, "attachment_ids": ids],
            ["content": 5, "client_id": clientId],
        ] {
            try socket.send(["type": "send_message", "data": data])
            let error = try await socket.next(type: "error")
            #expect(error.data["client_id"] as? String == clientId, "\(error.object)")
            #expect(error.data["code"] as? String == "invalid_request")
        }
        try await relay.stop()
    }

    @Test func framesSentAfterTheRelayBeganClosingDoNothing() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let token = relay.token(f.alice, ttl: 2)
        let socket = try TestSocket(port: relay.port, path: "/ws/messages?token=\(token)")
        _ = try await socket.next(type: "connected")
        // Closed when the token expires; the client does not answer the close and sends on.
        #expect(try await socket.next(timeout: 15) { $0.isClose }.closeCode == 4401)
        try socket.send(.sendMessage(conversationId: nil, content: "after the token expired"))
        try socket.send(.sendMessage(conversationId: nil, content: "and again"))
        try await waitFor("the relay to drop the connection", timeout: 20) { socket.isClosed }
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 0)
        try await relay.stop()
    }

    /// A send written right behind the client's own close frame (read together) is not acted on: after its close,
    /// nothing a client sends counts.
    @Test func framesAfterTheClientsCloseFrameDoNothing() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let socket = try await SocketLimitsTests.connected(relay, f.alice)
        let late = ClientFrame.sendMessage(conversationId: nil, content: "behind my close").json
        try socket.sendFrames([(8, [0x03, 0xE8]), (1, Array(late.utf8)), (1, Array(late.utf8))])
        #expect(try await socket.next { $0.isClose }.closeCode == 1000)
        try await waitFor("the relay to drop the connection") { socket.isClosed }
        // A send after it, through the same relay: once it is stored, a send the relay had taken would be too.
        let marker = try await relay.request("POST", "/api/messages", token: relay.token(f.alice), json: ["content": "marker"])
        #expect(marker.status == 201)
        try await waitFor("the relay's sockets to empty") { try await relay.socketCount() == 0 }
        #expect(try db.scalar("SELECT count(*) FROM messages WHERE content = 'behind my close'", as: Int.self) == 0)
        #expect(try db.scalar("SELECT count(*) FROM messages", as: Int.self) == 1)
        try await relay.stop()
    }

    /// The longest valid `send_message`: 10,000 characters, each written as a JSON escape pair (120,000 bytes), as
    /// clients that escape everything beyond ASCII send it. Accepted, as over REST; a frame past the limit closes 1009.
    @Test func theLongestValidSendFitsInAFrame() async throws {
        let database = try await TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let socket = try await SocketLimitsTests.connected(relay, f.alice)
        let escaped = String(repeating: #"\ud83d\ude00"#, count: 10_000)
        try socket.sendText(#"{"type":"send_message","data":{"content":""# + escaped + #""}}"#)
        let message = try await socket.next(type: "message", timeout: 20)
        #expect((message.data["content"] as? String)?.unicodeScalars.count == 10_000)
        #expect(try db.scalar("SELECT char_length(content) FROM messages", as: Int.self) == 10_000)
        try socket.sendText(#"{"type":"send_message","data":{"content":""# + escaped + escaped + #""}}"#)
        #expect(try await socket.next(timeout: 20) { $0.isClose }.closeCode == 1009)
        try await relay.stop()
    }
}
