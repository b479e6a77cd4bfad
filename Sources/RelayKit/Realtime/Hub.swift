import Foundation
import MsgLib
import Synchronization

/// The sockets connected to this relay, by user, and who gets which event.
///
/// - A message goes to every socket of the conversation's user and of every admin (the sender's other tabs too).
/// - A read receipt goes to the same sockets (the sender learns it was read; the reader's other tabs sync).
/// - A typing indicator goes to the other party only: the admins when the user types, the user when an admin does.
///
/// Who gets what is decided by ``HubRouting`` on a ``HubRegistry`` under the lock; frames are sent after it.
package final class Hub: Sendable {
    private struct State {
        var registry = HubRegistry<ClientConnection>()
        /// Messages this relay created and delivered itself; their NOTIFY needs no work here.
        var deliveredLocally = RecentIDs(capacity: 16384)
    }

    private let state = Mutex(State())

    package init() {}

    /// Sockets connected now.
    package var connectionCount: Int { state.withLock { $0.registry.total } }

    func register(_ connection: ClientConnection) {
        state.withLock { $0.registry.register(connection) }
    }

    func unregister(_ connection: ClientConnection) {
        state.withLock { _ = $0.registry.unregister(connection) }
    }

    /// Delivers a message this relay just created, without waiting for its NOTIFY to come back.
    package func deliverLocal(_ item: DeliverableMessage) {
        _ = state.withLock { $0.deliveredLocally.insert(item.message.id) }
        deliver(item)
    }

    /// True for a message ``deliverLocal(_:)`` already handled.
    func wasDeliveredLocally(_ id: UUID) -> Bool {
        state.withLock { $0.deliveredLocally.contains(id) }
    }

    /// Delivers a new message to its conversation's participants.
    func deliver(_ item: DeliverableMessage) {
        let frame = OutgoingFrame(.message(item.message, sender: item.sender))
        let targets = state.withLock { HubRouting.messageRecipients(conversationUserID: item.conversationUserId, in: $0.registry) }
        for connection in targets { connection.send(frame) }
    }

    /// Delivers a read receipt.
    func deliverRead(messageId: UUID, conversationUserId: UUID, readAt: Timestamp, readBy: UUID?) {
        let frame = OutgoingFrame(.messageRead(messageId: messageId, readAt: readAt, readBy: readBy))
        let targets = state.withLock { HubRouting.readRecipients(conversationUserID: conversationUserId, in: $0.registry) }
        for connection in targets { connection.send(frame) }
    }

    /// Delivers a typing indicator to the other party.
    func deliverTyping(conversationId: UUID, conversationUserId: UUID, userId: UUID, isTyping: Bool, fromAdmin: Bool) {
        let frame = OutgoingFrame(.typing(conversationId: conversationId, userId: userId, isTyping: isTyping))
        let targets = state.withLock { state in
            HubRouting.typingRecipients(conversationUserID: conversationUserId, typerID: userId, fromAdmin: fromAdmin, in: state.registry)
        }
        for connection in targets { connection.send(frame) }
    }

    /// Closes the sockets whose clients sent nothing for `timeout` (one sweep; ``IdleSweeper`` repeats it).
    func closeIdle(after timeout: Duration) {
        let all = state.withLock { $0.registry.all }
        for connection in all where connection.idleFor >= timeout { connection.close(.idle) }
    }

    /// Closes every socket (each flushes its queue first).
    func closeAll(_ reason: ClientConnection.CloseReason) {
        let all = state.withLock { $0.registry.all }
        for connection in all { connection.close(reason) }
    }
}

extension ClientConnection: HubMember {
    var userID: UUID { user.id }
    var isAdmin: Bool { user.isAdmin }
}
