import Foundation
import Synchronization
import MsgLib

/// The sockets connected to this relay, by user, and who gets which event.
///
/// - A message goes to every socket of the conversation's user and of every admin (the sender's other tabs too).
/// - A read receipt goes to the same sockets (the sender learns it was read; the reader's other tabs sync).
/// - A typing indicator goes to the other party only: the admins when the user types, the user when an admin does.
package final class Hub: Sendable {
    private struct State {
        var byUser: [UUID: [UUID: ClientConnection]] = [:]
        var admins: [UUID: ClientConnection] = [:]
        var total = 0
        /// Messages this relay created and delivered itself; their NOTIFY needs no work here.
        var deliveredLocally = RecentIDs(capacity: 16384)
    }

    private let state = Mutex(State())

    package init() {}

    /// Sockets connected now.
    package var connectionCount: Int { state.withLock { $0.total } }

    func register(_ connection: ClientConnection) {
        state.withLock { state in
            state.byUser[connection.user.id, default: [:]][connection.id] = connection
            if connection.user.isAdmin { state.admins[connection.id] = connection }
            state.total += 1
        }
    }

    func unregister(_ connection: ClientConnection) {
        state.withLock { state in
            guard state.byUser[connection.user.id]?.removeValue(forKey: connection.id) != nil else { return }
            if state.byUser[connection.user.id]?.isEmpty == true { state.byUser[connection.user.id] = nil }
            state.admins[connection.id] = nil
            state.total -= 1
        }
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
        for connection in participants(of: item.conversationUserId) { connection.send(frame) }
    }

    /// Delivers a read receipt.
    func deliverRead(messageId: UUID, conversationUserId: UUID, readAt: Timestamp, readBy: UUID?) {
        let frame = OutgoingFrame(.messageRead(messageId: messageId, readAt: readAt, readBy: readBy))
        for connection in participants(of: conversationUserId) { connection.send(frame) }
    }

    /// Delivers a typing indicator to the other party.
    func deliverTyping(conversationId: UUID, conversationUserId: UUID, userId: UUID, isTyping: Bool, fromAdmin: Bool) {
        let frame = OutgoingFrame(.typing(conversationId: conversationId, userId: userId, isTyping: isTyping))
        let targets: [ClientConnection] = state.withLock { state in
            fromAdmin ? Array((state.byUser[conversationUserId] ?? [:]).values) : Array(state.admins.values)
        }
        for connection in targets where connection.user.id != userId { connection.send(frame) }
    }

    /// Closes the sockets whose clients sent nothing for `timeout` (one sweep; ``IdleSweeper`` repeats it).
    func closeIdle(after timeout: Duration) {
        let all = state.withLock { state in state.byUser.values.flatMap(\.values) }
        for connection in all where connection.idleFor >= timeout { connection.close(.idle) }
    }

    /// Closes every socket (each flushes its queue first).
    func closeAll(_ reason: ClientConnection.CloseReason) {
        let all = state.withLock { state in state.byUser.values.flatMap(\.values) }
        for connection in all { connection.close(reason) }
    }

    private func participants(of conversationUserId: UUID) -> [ClientConnection] {
        state.withLock { state in
            var out = Array((state.byUser[conversationUserId] ?? [:]).values)
            out.append(contentsOf: state.admins.values.filter { $0.user.id != conversationUserId })
            return out
        }
    }
}
