import Foundation
import MsgLib
import NIOCore
import NIOEmbedded
import Testing

@testable import RelayKit

/// A socket's connection on an embedded channel whose client has stopped reading (the channel is not writable).
@Suite struct ClientConnectionTests {
    /// A replay that failed (the database down) closes the socket with a close frame that waits behind the queue: a
    /// client that reads nothing more is cut off all the same, as any close's.
    @Test func aFailedReplayOfAClientThatStoppedReadingIsCutOff() throws {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        channel.isWritable = false
        let user = User(id: UUID(), username: "alice", displayName: "Alice", slug: "alice", isAdmin: false, createdAt: .now())
        let connection = ClientConnection(user: user, capacity: 8, channel: channel)
        connection.send(OutgoingFrame(json: #"{"type":"pong"}"#, messageId: nil))
        connection.beginReplay()
        connection.failReplay([OutgoingFrame(json: #"{"type":"error"}"#, messageId: nil)], close: .refused(1013, "Try again later"))
        channel.embeddedEventLoop.run()
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2 * ConnectionStateMachine.closeDeadline.components.seconds + 1))
        #expect(!channel.isActive)
    }
}
