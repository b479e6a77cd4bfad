import Foundation
import Synchronization

/// The outgoing side of one client socket: a bounded queue of frames, written by the socket's own writer task.
///
/// Nothing that delivers a frame ever waits for a socket: `send` queues and returns. A client whose queue fills
/// up (it stopped reading) is cut off, so it cannot slow anybody else. While a replay is being read from the
/// database, live frames are held back and sent after it, and a message is never sent twice on one socket.
final class ClientConnection: Sendable {
    /// Why the server ends a connection.
    enum CloseReason: Sendable, Equatable {
        /// The relay is shutting down (close code 1001 after the queue is flushed).
        case goingAway
        /// The client sent nothing for the idle timeout.
        case idle
        /// The client stopped reading and its queue filled up.
        case slowConsumer
    }

    private struct State {
        var replaying = false
        var held: [OutgoingFrame] = []
        var recent = RecentIDs(capacity: 4096)
        var closeReason: CloseReason?
    }

    let id = UUID()
    let user: User
    let capacity: Int
    private let state = Mutex(State())
    /// Encoded frames, in order, for the writer task. Finishes when the connection closes.
    let outgoing: FrameQueue
    /// Closes the TCP connection at once (for a client that stopped reading, whose queue cannot drain).
    private let cutOff: @Sendable () -> Void
    /// When the client last sent a frame.
    private let lastActivity = Mutex(ContinuousClock.now)

    init(user: User, capacity: Int, cutOff: @escaping @Sendable () -> Void = {}) {
        self.user = user
        self.capacity = capacity
        self.cutOff = cutOff
        outgoing = FrameQueue(capacity: capacity)
    }

    /// Records that the client sent a frame.
    func touch() { lastActivity.withLock { $0 = .now } }

    /// How long the client has sent nothing.
    var idleFor: Duration { ContinuousClock.now - lastActivity.withLock { $0 } }

    /// The reason the server closed this connection, if it did.
    var closeReason: CloseReason? { state.withLock { $0.closeReason } }

    /// Queues a frame (held back during a replay). Never waits.
    func send(_ frame: OutgoingFrame) {
        let overflow: Bool = state.withLock { state in
            guard state.closeReason == nil else { return false }
            if state.replaying {
                state.held.append(frame)
                return state.held.count > capacity * 4
            }
            return !enqueue(frame, &state)
        }
        if overflow { close(.slowConsumer) }
    }

    /// Holds live frames back until ``finishReplay(_:)``.
    func beginReplay() {
        state.withLock { $0.replaying = true }
    }

    /// Queues the replayed frames, then the live frames held meanwhile, each message at most once. Waits for
    /// room in the queue, so a long replay goes at the socket's pace.
    func finishReplay(_ frames: [OutgoingFrame]) async {
        var pending = frames
        while true {
            for frame in pending where state.withLock({ $0.closeReason == nil && Self.isNew(frame, &$0) }) {
                await outgoing.push(frame.json)
            }
            pending = state.withLock { state in
                let held = state.held
                state.held = []
                if held.isEmpty { state.replaying = false }
                return held
            }
            if pending.isEmpty { return }
        }
    }

    /// Ends the connection: the writer flushes what is queued, then the socket closes.
    func close(_ reason: CloseReason) {
        let first: Bool = state.withLock { state in
            guard state.closeReason == nil else { return false }
            state.closeReason = reason
            return true
        }
        guard first else { return }
        outgoing.finish()
        if reason == .slowConsumer { cutOff() }
    }

    /// Ends the outgoing stream after the client went away by itself.
    func finish() {
        outgoing.finish()
    }

    /// False when the queue is full.
    private func enqueue(_ frame: OutgoingFrame, _ state: inout State) -> Bool {
        guard Self.isNew(frame, &state) else { return true }
        return outgoing.offer(frame.json)
    }

    /// False for a message this socket already got.
    private static func isNew(_ frame: OutgoingFrame, _ state: inout State) -> Bool {
        guard let id = frame.messageId else { return true }
        return state.recent.insert(id)
    }
}

/// A frame encoded once, for every socket it goes to.
struct OutgoingFrame: Sendable {
    let json: String
    /// Set on `message` frames, so a socket gets each message once.
    let messageId: UUID?

    init(_ frame: ServerFrame) {
        json = frame.json
        messageId = frame.messageId
    }
}

/// The most recent ids seen, in a fixed-size window.
struct RecentIDs: Sendable {
    private var order: [UUID] = []
    private var members: Set<UUID> = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func contains(_ id: UUID) -> Bool { members.contains(id) }

    /// Adds `id`; false when it was already there.
    mutating func insert(_ id: UUID) -> Bool {
        guard !members.contains(id) else { return false }
        if order.count < capacity {
            order.append(id)
        } else {
            members.remove(order[next])
            order[next] = id
            next = (next + 1) % capacity
        }
        members.insert(id)
        return true
    }
}
