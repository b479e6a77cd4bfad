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
        /// The snapshot of the last batch published: every message it shows has gone to the sockets registered
        /// then. Nil until ``CommitFeed`` starts.
        var frontier: CommitSnapshot?
        /// Sockets accepted and not registered yet, by user (``SocketReservation``).
        var reserved: [UUID: Int] = [:]
        /// Set by ``closeAll(_:)``: the relay is stopping, and takes no more sockets.
        var closing = false

        /// The sockets of `userId`, registered or reserved.
        func sockets(of userId: UUID) -> Int { registry.socketCount(of: userId) + reserved[userId, default: 0] }

        mutating func unreserve(_ userId: UUID) {
            let left = reserved[userId, default: 0] - 1
            reserved[userId] = left > 0 ? left : nil
        }
    }

    private let state = Mutex(State())

    package init() {}

    /// Sockets connected now.
    package var connectionCount: Int { state.withLock { $0.registry.total } }

    /// The relay is stopping (``closeAll(_:)`` was called): new sockets are turned away, `/readyz` answers 503.
    package var isClosing: Bool { state.withLock { $0.closing } }

    /// The snapshot of the last batch published (nil before the feed started).
    package var frontier: CommitSnapshot? { state.withLock { $0.frontier } }

    /// Registers a socket unless its user has `maxPerUser` already; it gets every batch published from now on. Returns
    /// the frontier it joined at (its replay covers what that snapshot shows, the batches everything after), or
    /// `.full`. A socket holding `reservation` takes the place it reserved.
    func register(_ connection: ClientConnection, reservation: SocketReservation? = nil, maxPerUser: Int = .max) -> Registration {
        state.withLock { state in
            if let reservation, reservation.take() { state.unreserve(reservation.userId) }
            // Its socket closed while it waited to join (the session unregisters before it finishes: one or the other
            // sees the other's step).
            guard !connection.isFinished else { return .ended }
            guard !state.closing else { return .closing }
            guard state.sockets(of: connection.userID) < maxPerUser else { return .full }
            state.registry.register(connection)
            return .joined(at: state.frontier)
        }
    }

    /// Reserves a place for a socket of `userId` unless the user has `maxPerUser` sockets, registered or reserved.
    func reserve(_ userId: UUID, maxPerUser: Int) -> SocketReservation? {
        let room = state.withLock { state in
            guard state.sockets(of: userId) < maxPerUser else { return false }
            state.reserved[userId, default: 0] += 1
            return true
        }
        return room ? SocketReservation(userId: userId, hub: self) : nil
    }

    /// Called by ``SocketReservation/release()`` only.
    func releaseReservation(of userId: UUID) {
        state.withLock { $0.unreserve(userId) }
    }

    enum Registration {
        case joined(at: CommitSnapshot?)
        case full
        /// The relay is stopping (``closeAll(_:)``), after the socket was admitted.
        case closing
        /// The connection has finished: nothing to register.
        case ended
    }

    /// Where the relay starts following commits (the first snapshot); ignored once started.
    func start(at snapshot: CommitSnapshot) {
        state.withLock { state in
            if state.frontier == nil { state.frontier = snapshot }
        }
    }

    /// Delivers a batch: the messages in `end` and not in `base` (the frontier until now), in id order, then the
    /// reaction changes in `end` and not in `base`. Each `message` frame carries the cursor (base, end, its id): a
    /// client that processed it has every reaction change `base` shows (they went out with the batches before).
    /// Called by ``CommitFeed`` only, one batch after another.
    func publish(_ messages: [DeliverableMessage], reactions: [ReactionChange] = [], from base: CommitSnapshot, to end: CommitSnapshot) {
        let (deliveries, reactionDeliveries) = state.withLock { state in
            state.frontier = end
            return (
                messages.map { item in (item, HubRouting.messageRecipients(conversationUserID: item.conversationUserId, in: state.registry)) },
                reactions.map { change in (change, HubRouting.messageRecipients(conversationUserID: change.conversationUserId, in: state.registry)) }
            )
        }
        // Encoded only for messages someone here receives.
        func frame(_ item: DeliverableMessage) -> OutgoingFrame {
            OutgoingFrame(.message(item.message, sender: item.sender, cursor: ResumeCursor(base: base, end: end, lastId: item.message.id)))
        }
        if reactionDeliveries.isEmpty, deliveries.count == 1, let (item, targets) = deliveries.first {
            if !targets.isEmpty {
                let frame = frame(item)
                for connection in targets { connection.send(frame) }
            }
            return
        }
        var shares = Shares()
        for (item, targets) in deliveries where !targets.isEmpty {
            let frame = frame(item)
            for connection in targets { shares.add(frame, to: connection) }
        }
        // Each socket sees the reactions as its user does (whether they reacted; for an admin, who did).
        for (change, targets) in reactionDeliveries {
            for connection in targets {
                shares.add(OutgoingFrame(.reactionChanged(ReactionChangedRepresentation(change, viewer: connection.user))), to: connection)
            }
        }
        shares.send()
    }

    /// Each socket's frames of one delivery, sent as one unit of its queue (a burst of commits, a thousand receipts of
    /// one bulk read, may bring more frames than its queue has places).
    private struct Shares {
        private var byConnection: [ObjectIdentifier: (connection: ClientConnection, frames: [OutgoingFrame])] = [:]

        mutating func add(_ frame: OutgoingFrame, to connection: ClientConnection) {
            byConnection[ObjectIdentifier(connection), default: (connection, [])].frames.append(frame)
        }

        func send() {
            for share in byConnection.values { share.connection.send(batch: share.frames) }
        }
    }

    /// Moves the frontier to `end` without delivering what it shows beyond the frontier (a batch too large to read), and
    /// closes every socket registered until now with `reason`: they lack that batch and resume from their cursors.
    /// Sockets registered from now on join at `end`. Called by ``CommitFeed`` only, in place of ``publish(_:reactions:from:to:)``.
    func skip(to end: CommitSnapshot, closing reason: ClientConnection.CloseReason) {
        let behind = state.withLock { state in
            state.frontier = end
            return state.registry.all
        }
        for connection in behind { connection.close(reason) }
    }

    func unregister(_ connection: ClientConnection) {
        state.withLock { _ = $0.registry.unregister(connection) }
    }

    /// Unregisters a socket whose work goes on (a replay under way when it closed): its place among its user's becomes
    /// a reservation, given back when that work ends, so that sockets closed at once cannot multiply a user's work.
    /// Nil when it was not registered.
    func unregisterHoldingPlace(_ connection: ClientConnection) -> SocketReservation? {
        let held = state.withLock { state in
            guard state.registry.unregister(connection) else { return false }
            state.reserved[connection.userID, default: 0] += 1
            return true
        }
        return held ? SocketReservation(userId: connection.userID, hub: self) : nil
    }

    /// A read receipt to deliver.
    struct Receipt: Sendable {
        var messageId: UUID
        var conversationUserId: UUID
        var readAt: Timestamp
        var readBy: UUID?
    }

    /// Delivers read receipts, in order; each socket gets its share as one unit.
    func deliverReads(_ receipts: [Receipt]) {
        guard !receipts.isEmpty else { return }
        let deliveries = state.withLock { state in
            receipts.map { receipt in
                (
                    OutgoingFrame(.messageRead(messageId: receipt.messageId, readAt: receipt.readAt, readBy: receipt.readBy)),
                    HubRouting.readRecipients(conversationUserID: receipt.conversationUserId, in: state.registry)
                )
            }
        }
        var shares = Shares()
        for (frame, targets) in deliveries {
            for connection in targets { shares.add(frame, to: connection) }
        }
        shares.send()
    }

    /// Delivers a typing indicator to the other party.
    func deliverTyping(conversationId: UUID, conversationUserId: UUID, userId: UUID, isTyping: Bool, fromAdmin: Bool) {
        let frame = OutgoingFrame(.typing(conversationId: conversationId, userId: userId, isTyping: isTyping))
        let targets = state.withLock { state in
            HubRouting.typingRecipients(conversationUserID: conversationUserId, typerID: userId, fromAdmin: fromAdmin, in: state.registry)
        }
        for connection in targets { connection.send(frame) }
    }

    /// One sweep over every socket (``IdleSweeper`` repeats it): closes those whose clients sent nothing for
    /// `idleAfter`, disconnects those whose queued frames waited `stalledAfter` for a client that reads nothing, and
    /// closes with 4401 those whose token expired by `now` (seconds since the epoch); the first reason found counts.
    ///
    /// The sockets are checked in place under the lock (one clock reading for all, no copy of the list, which at
    /// 100,000 sockets cost more than their heartbeats); only those to close are taken out, and closed after it.
    func closeInactive(idleAfter: Duration, stalledAfter: Duration, now: Int64) {
        let clock = ClientConnection.monotonicNow()
        let (idle, stalled) = (idleAfter.nanoseconds, stalledAfter.nanoseconds)
        func reason(_ connection: ClientConnection) -> ClientConnection.CloseReason? {
            if connection.idleNanoseconds(at: clock) >= idle { return .idle }
            if connection.stalledNanoseconds(at: clock) >= stalled { return .slowConsumer }
            if connection.expires <= now { return Self.tokenExpired }
            return nil
        }
        let closing = state.withLock { $0.registry.sockets { reason($0) != nil } }
        for connection in closing {
            if let reason = reason(connection) { connection.close(reason) }
        }
    }

    /// User `userId` changed: their sockets that no longer match their rights (`isAdmin`, nil when the user was deleted)
    /// are closed with 4401; a client that reconnects gets the rights it has now.
    func userChanged(_ userId: UUID, isAdmin: Bool?) {
        let sockets = state.withLock { $0.registry.sockets(of: userId) }
        for connection in sockets where connection.user.isAdmin != isAdmin {
            connection.close(isAdmin == nil ? Self.userDeleted : Self.rightsChanged)
        }
    }

    /// The users with sockets here, to re-check after changes may have been missed (see ``userChanged(_:isAdmin:)``).
    var connectedUsers: [UUID] { state.withLock { Array($0.registry.byUser.keys) } }

    static let tokenExpired = ClientConnection.CloseReason.refused(4401, "Token expired")
    static let userDeleted = ClientConnection.CloseReason.refused(4401, "Unknown user")
    static let rightsChanged = ClientConnection.CloseReason.refused(4401, "Account changed; reconnect")

    /// Closes every socket (each flushes its queue first), and turns away those that come after.
    func closeAll(_ reason: ClientConnection.CloseReason) {
        let all = state.withLock { state in
            state.closing = true
            return state.registry.all
        }
        for connection in all { connection.close(reason) }
    }
}

extension ClientConnection: HubMember {
    var userID: UUID { user.id }
    var isAdmin: Bool { user.isAdmin }
}
