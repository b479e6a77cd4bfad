import Foundation
import MsgLib
import TestSupport
import Testing

/// What one user can multiply over WebSocket is bounded: sockets per user, frames per socket, typing events.
@Suite(.needsProcesses) struct SocketLimitsTests {
    static func connected(_ relay: TestRelay, _ user: User) async throws -> TestSocket {
        let socket = try relay.socket(user)
        _ = try await socket.next(type: "connected")
        return socket
    }

    @Test func aUserBeyondTheirSocketLimitIsRefusedOthersAreNot() async throws {
        let database = try TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(database: database, environment: ["WS_MAX_SOCKETS_PER_USER": "3"])
        var alices: [TestSocket] = []
        for _ in 0..<3 { alices.append(try await Self.connected(relay, f.alice)) }
        let refused = try relay.socket(f.alice)
        let error = try await refused.next(type: "error")
        #expect(error.data["code"] as? String == "too_many_sockets")
        #expect(try await refused.next { $0.isClose }.closeCode == 4429)
        #expect(refused.all(type: "connected").isEmpty)
        // Another user is not affected; a socket closed makes room again.
        _ = try await Self.connected(relay, f.bob)
        try alices[0].sendClose()
        try await waitFor("room for another socket of alice's") {
            let socket = try relay.socket(f.alice)
            let first = try await socket.next { $0.type == "connected" || $0.type == "error" }
            return first.type == "connected"
        }
        try await relay.stop()
    }

    @Test func framesBeyondTheRateAreRefusedThenTheSocketIsClosed() async throws {
        let database = try TestDatabase.create()
        let f = try Fixtures.make(try database.connect())
        let relay = try await TestRelay(
            database: database, environment: CommitOrderTests.unlimited.merging(["WS_FRAMES_PER_SECOND": "2", "WS_FRAME_BURST": "3"]) { $1 })
        // Pings are never counted.
        let pinger = try await Self.connected(relay, f.bob)
        for _ in 0..<30 { try pinger.send(.ping) }
        try await waitFor("30 pongs") { pinger.all(type: "pong").count == 30 }
        #expect(pinger.all(type: "error").isEmpty)

        let alice = try await Self.connected(relay, f.alice)
        let frame = ClientFrame.markRead(messageIds: [UUID()])
        for _ in 0..<4 { try alice.send(frame) }
        let refusal = try await alice.next(type: "error")
        #expect(refusal.data["code"] as? String == "too_many_frames")
        #expect((refusal.data["retry_after"] as? Int ?? 0) >= 1)
        // Going on regardless: closed.
        for _ in 0..<10 { try alice.send(frame) }
        let close = try await alice.next { $0.isClose }
        #expect(close.closeCode == 1008 && String(decoding: close.payload.dropFirst(2), as: UTF8.self) == "Too many frames")
        // The other user's socket is still served.
        try pinger.send(.ping)
        try await waitFor("another pong") { pinger.all(type: "pong").count == 31 }
        try await relay.stop()
    }

    @Test func typingAtEveryKeystrokeCostsOneEvent() async throws {
        let database = try TestDatabase.create()
        let db = try database.connect()
        let f = try Fixtures.make(db)
        let conversation = try ConversationRepository.insert(db, userId: f.alice.id)
        let relay = try await TestRelay(database: database, environment: CommitOrderTests.unlimited)
        let admin = try await Self.connected(relay, f.admin)
        let alice = try await Self.connected(relay, f.alice)
        for _ in 0..<10 { try alice.send(.typing(conversationId: conversation.id, isTyping: true)) }
        try alice.send(.typing(conversationId: conversation.id, isTyping: false))
        // A message after them: once the admin has it, every typing event sent before it has arrived.
        try alice.send(.sendMessage(conversationId: nil, content: "barrier"))
        _ = try await admin.next(type: "message")
        #expect(admin.all(type: "typing").map { $0.data["is_typing"] as? Bool } == [true, false])
        try await relay.stop()
    }
}
