import Foundation
import NIOCore
import NIOWebSocket
import Synchronization
import MsgLib

/// The outgoing side of one client socket: a bounded queue of encoded frames, written to the channel on its
/// event loop whenever the channel can take them.
///
/// Nothing that delivers a frame ever waits for a socket: `send` queues and returns. A client whose queue fills
/// up (it stopped reading) is cut off, so it cannot slow anybody else. While a replay is being read from the
/// database, live frames are held back and sent after it, and a message is never sent twice on one socket.
/// An idle socket owns no task and no buffer: only this object and its channel.
final class ClientConnection: Sendable {
    /// Why the server ends a connection.
    enum CloseReason: Sendable, Equatable {
        /// The relay is shutting down (close code 1001 after the queue is flushed).
        case goingAway
        /// The client sent nothing for the idle timeout.
        case idle
        /// The client stopped reading and its queue filled up.
        case slowConsumer
        /// The server refused the socket (close code 4401, 4403 or 1011 after the error frame).
        case refused(UInt16, String)

        var closeCode: WebSocketErrorCode {
            switch self {
            case .goingAway: .goingAway
            case .idle: .normalClosure
            case .slowConsumer: .policyViolation
            case .refused(let code, _): .init(codeNumber: Int(code))
            }
        }

        var reason: String {
            switch self {
            case .goingAway: "server shutting down"
            case .idle: "idle timeout"
            case .slowConsumer: "not reading"
            case .refused(_, let message): message
            }
        }
    }

    private struct Queued {
        var text: String
        /// Replayed frames do not count against the live capacity: the replay is bounded by its own limit.
        var isLive: Bool
    }

    private struct State {
        var queue = CircularBuffer<Queued>(initialCapacity: 1)
        var liveQueued = 0
        var flushScheduled = false
        var replaying = false
        var held: [OutgoingFrame] = []
        var recent = RecentIDs(capacity: 4096)
        var closeReason: CloseReason?
        var closeFrameSent = false
        var finished = false
    }

    let id = UUID()
    let user: User
    let capacity: Int
    private let channel: any Channel
    private let state = Mutex(State())
    /// When the client last sent a frame, in nanoseconds of the monotonic clock.
    private let lastActivity = Atomic<Int64>(ClientConnection.monotonicNow())

    init(user: User, capacity: Int, channel: any Channel) {
        self.user = user
        self.capacity = capacity
        self.channel = channel
    }

    /// Records that the client sent a frame.
    func touch() { lastActivity.store(Self.monotonicNow(), ordering: .relaxed) }

    /// How long the client has sent nothing.
    var idleFor: Duration { .nanoseconds(Self.monotonicNow() - lastActivity.load(ordering: .relaxed)) }

    /// The reason the server closed this connection, if it did.
    var closeReason: CloseReason? { state.withLock { $0.closeReason } }

    /// Queues a frame (held back during a replay). Never waits.
    func send(_ frame: OutgoingFrame) {
        enum Outcome { case queued(schedule: Bool), overflow }
        let outcome: Outcome = state.withLock { state in
            guard state.closeReason == nil, !state.finished else { return .queued(schedule: false) }
            if state.replaying {
                state.held.append(frame)
                return state.held.count > capacity * 4 ? .overflow : .queued(schedule: false)
            }
            guard Self.isNew(frame, &state) else { return .queued(schedule: false) }
            guard state.liveQueued < capacity else { return .overflow }
            state.queue.append(Queued(text: frame.json, isLive: true))
            state.liveQueued += 1
            return .queued(schedule: Self.claimFlush(&state))
        }
        switch outcome {
        case .overflow: close(.slowConsumer)
        case .queued(let schedule): if schedule { scheduleFlush() }
        }
    }

    /// Holds live frames back until ``finishReplay(_:)``.
    func beginReplay() {
        state.withLock { $0.replaying = true }
    }

    /// Queues the replayed frames, then the live frames held meanwhile, each message at most once.
    func finishReplay(_ frames: [OutgoingFrame]) {
        let schedule: Bool = state.withLock { state in
            guard state.closeReason == nil, !state.finished else { return false }
            for frame in frames + state.held where Self.isNew(frame, &state) {
                state.queue.append(Queued(text: frame.json, isLive: false))
            }
            state.held = []
            state.replaying = false
            return Self.claimFlush(&state)
        }
        if schedule { scheduleFlush() }
    }

    /// Ends the connection: queued frames are flushed, then a close frame is sent. A client that stopped
    /// reading is disconnected at once instead (a close frame could not get through).
    func close(_ reason: CloseReason) {
        let (first, schedule): (Bool, Bool) = state.withLock { state in
            guard state.closeReason == nil, !state.finished else { return (false, false) }
            state.closeReason = reason
            return (true, reason != .slowConsumer && Self.claimFlush(&state))
        }
        guard first else { return }
        if reason == .slowConsumer {
            channel.close(promise: nil)
        } else if schedule {
            scheduleFlush()
        }
    }

    /// The channel closed: drop whatever is queued.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.queue.removeAll()
            state.held = []
            state.liveQueued = 0
        }
    }

    /// Writes queued frames while the channel accepts them, then the close frame once a closing connection's
    /// queue is empty. Runs on the channel's event loop (after a `send`, and when the channel becomes writable).
    func flush() {
        channel.eventLoop.preconditionInEventLoop()
        var wrote = false
        while channel.isWritable {
            let next: Queued? = state.withLock { state in
                guard let item = state.queue.popFirst() else {
                    state.flushScheduled = false
                    return nil
                }
                if item.isLive { state.liveQueued -= 1 }
                return item
            }
            guard let next else { break }
            channel.write(WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: next.text)), promise: nil)
            wrote = true
        }
        let closing: CloseReason? = state.withLock { state in
            if !channel.isWritable { state.flushScheduled = false }
            guard state.queue.isEmpty, let reason = state.closeReason, !state.closeFrameSent, !state.finished else { return nil }
            state.closeFrameSent = true
            return reason
        }
        if let closing { writeClose(closing); wrote = true }
        if wrote { channel.flush() }
    }

    /// Stops or resumes reading from the client (back-pressure while its frames wait to be handled).
    func setReading(_ on: Bool) {
        channel.setOption(ChannelOptions.autoRead, value: on).whenComplete { _ in }
        if on { channel.read() }
    }

    /// True once this side sent its close frame (a close from the client then ends the TCP connection).
    var closeFrameSent: Bool { state.withLock { $0.closeFrameSent } }

    /// Sends the close frame for `reason` now, skipping whatever is still queued (protocol errors).
    func closeNow(_ reason: CloseReason) {
        channel.eventLoop.preconditionInEventLoop()
        let first: Bool = state.withLock { state in
            guard !state.closeFrameSent, !state.finished else { return false }
            state.closeReason = reason
            state.closeFrameSent = true
            state.queue.removeAll()
            state.liveQueued = 0
            return true
        }
        if first {
            writeClose(reason)
            channel.flush()
        }
    }

    private func writeClose(_ reason: CloseReason) {
        Self.writeClose(reason, to: channel)
    }

    /// Writes (without flushing) the close frame for `reason`, and closes the channel 3 s later if the client
    /// has not answered with its own close frame by then.
    static func writeClose(_ reason: CloseReason, to channel: any Channel) {
        var data = channel.allocator.buffer(capacity: 2 + reason.reason.utf8.count)
        data.write(webSocketErrorCode: reason.closeCode)
        data.writeString(reason.reason)
        channel.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), promise: nil)
        // The client answers with its own close frame; if it does not, the connection ends anyway.
        channel.eventLoop.scheduleTask(in: .seconds(3)) { [channel] in channel.close(promise: nil) }
    }

    private func scheduleFlush() {
        channel.eventLoop.execute { self.flush() }
    }

    /// Marks a flush as scheduled; true when the caller must schedule it.
    private static func claimFlush(_ state: inout State) -> Bool {
        guard !state.flushScheduled else { return false }
        state.flushScheduled = true
        return true
    }

    /// False for a message this socket already got.
    private static func isNew(_ frame: OutgoingFrame, _ state: inout State) -> Bool {
        guard let id = frame.messageId else { return true }
        return state.recent.insert(id)
    }

    private static func monotonicNow() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
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
