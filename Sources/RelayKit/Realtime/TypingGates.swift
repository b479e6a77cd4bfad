import Foundation
import Synchronization

/// The typing indicators of every user of a relay, through one ``TypingGate`` per user (not per socket): a user with
/// many sockets sends the admins no more indicators than with one.
final class TypingGates: Sendable {
    private let gates = Mutex<[UUID: TypingGate]>([:])
    let interval: Double

    init(interval: Double) {
        self.interval = interval
    }

    /// Users whose gates are kept before the idle ones are dropped.
    static let pruneAbove = 4096

    /// Whether `userId`'s indicator in `conversationId` goes out (``TypingGate/allow(_:isTyping:now:)``).
    func allow(_ userId: UUID, _ conversationId: UUID, isTyping: Bool, now: Double) -> Bool {
        gates.withLock { gates in
            if gates[userId] == nil, gates.count >= Self.pruneAbove {
                gates = gates.filter { !$0.value.isIdle(now: now) }
            }
            var gate = gates[userId] ?? TypingGate(interval: interval)
            let allowed = gate.allow(conversationId, isTyping: isTyping, now: now)
            gates[userId] = gate
            return allowed
        }
    }

    /// The server switched `userId`'s indicator in `conversationId` off itself.
    func expired(_ userId: UUID, _ conversationId: UUID) {
        gates.withLock { $0[userId]?.expired(conversationId) }
    }

    /// Users with a gate kept.
    var tracked: Int { gates.withLock { $0.count } }
}
