import Foundation
import MsgLib
import NIOCore
import NIOEmbedded
import Testing

@testable import RelayKit

/// The hub of a stopping relay: sockets admitted before the stop but registering after it are turned away.
@Suite struct HubClosingTests {
    static func connection() throws -> ClientConnection {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        let user = User(id: UUID(), username: "alice", displayName: "Alice", slug: "alice", isAdmin: false, createdAt: .now())
        return ClientConnection(user: user, capacity: 8, channel: channel)
    }

    @Test func aSocketRegisteringAfterCloseAllIsTurnedAway() throws {
        let hub = Hub()
        guard case .joined = hub.register(try Self.connection()) else {
            Issue.record("a socket could not join an open hub")
            return
        }
        #expect(!hub.isClosing)
        hub.closeAll(.goingAway)
        #expect(hub.isClosing)
        guard case .closing = hub.register(try Self.connection()) else {
            Issue.record("a socket joined a closing hub")
            return
        }
        #expect(hub.connectionCount == 1)
    }
}
