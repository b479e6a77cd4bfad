import Foundation
import NIOCore

/// The outgoing side of one client socket, without I/O: events in, actions out; ``ClientConnection`` performs
/// the actions on the channel.
///
/// A bounded queue of encoded frames, live frames held back during a replay, each message sent at most once,
/// a client that stops reading cut off, and the closing handshake (flush the queue, then one close frame,
/// then close the channel after ``closeDeadline`` unless the client answers first).
struct ConnectionStateMachine: Sendable {
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

        /// The WebSocket close code.
        var code: UInt16 {
            switch self {
            case .goingAway: 1001
            case .idle: 1000
            case .slowConsumer: 1008
            case .refused(let code, _): code
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

    /// What the shell does after ``send(_:)``, ``finishReplay(_:)`` or ``close(_:)``.
    enum Action: Sendable, Equatable {
        case none
        /// Run a flush on the event loop: ``flushStep(isWritable:)`` until it stops. The flush is claimed until then.
        case scheduleFlush
        /// Close the channel now, without a close frame (the client stopped reading, a close frame could not get through).
        case closeChannel
    }

    /// One step of a flush, on the event loop.
    enum FlushAction: Sendable, Equatable {
        /// Write this text frame, then take the next step.
        case write(String)
        /// Write the close frame for the reason and close the channel after the delay (unless the client's close
        /// frame ends it first); the flush is over.
        case writeCloseFrame(CloseReason, closeChannelAfter: Duration)
        /// The flush is over.
        case stop
    }

    /// What the shell does after ``closeNow(_:)``.
    enum CloseNowAction: Sendable, Equatable {
        case none
        /// Write the close frame for the reason, flush the channel, and close it after the delay.
        case writeCloseFrame(CloseReason, closeChannelAfter: Duration)
    }

    /// How long a close frame waits for the client's close frame before the channel is closed anyway.
    static let closeDeadline: Duration = .seconds(3)

    /// Live frames queued before the client counts as not reading.
    let capacity: Int
    /// Bytes queued or held (replayed frames included) before the client counts as not reading.
    let maxBytes: Int
    /// Bytes of the frames queued and held now.
    private(set) var queuedBytes = 0
    /// Live frames held back during a replay before the client counts as not reading (a batch counts as one).
    var holdLimit: Int { capacity * 4 }

    private var queue = CircularBuffer<Queued>(initialCapacity: 1)
    /// Queued frames that count against ``capacity`` (replayed frames do not).
    private(set) var liveQueued = 0
    /// True from the ``Action/scheduleFlush`` until the flush stops on an empty queue or an unwritable channel.
    private(set) var isFlushScheduled = false
    private(set) var isReplaying = false
    private var held: [OutgoingFrame] = []
    /// The places ``held`` takes against ``holdLimit``: one per frame or batch.
    private var heldPlaces = 0
    private var recent: RecentIDs<UUID>
    /// Message ids remembered for de-duplication, usually and while a client catches up.
    let recentMessages: Int
    let catchUpMessages: Int
    /// Live messages sent since the last replay finished.
    private var liveSincePage = 0
    /// The reason the server closed this connection, if it did.
    private(set) var closeReason: CloseReason?
    /// True once this side wrote its close frame.
    private(set) var closeFrameSent = false
    /// True once the channel closed.
    private(set) var isFinished = false

    /// - Parameters:
    ///   - capacity: live frames queued before the client counts as not reading.
    ///   - recentMessages: message ids remembered for de-duplication.
    ///   - maxBytes: bytes queued or held before the client counts as not reading.
    ///   - catchUpMessages: message ids remembered while a client catches up after a replay cut short.
    init(capacity: Int, maxBytes: Int = .max, recentMessages: Int = 4096, catchUpMessages: Int = 100_000) {
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.recentMessages = recentMessages
        self.catchUpMessages = max(recentMessages, catchUpMessages)
        self.recent = RecentIDs(capacity: recentMessages)
    }

    /// Frames waiting to be written.
    var queuedCount: Int { queue.count }
    /// Live frames held back by the replay in progress.
    var heldCount: Int { held.count }

    /// Queues a frame, or holds it back during a replay. A message this socket already got is dropped; one frame
    /// too many closes the connection as a slow consumer.
    mutating func send(_ frame: OutgoingFrame) -> Action {
        guard closeReason == nil, !isFinished else { return .none }
        if isReplaying {
            held.append(frame)
            heldPlaces += 1
            queuedBytes += frame.json.utf8.count
            return heldPlaces > holdLimit || queuedBytes > maxBytes ? overflow() : .none
        }
        guard isNew(frame) else { return .none }
        guard liveQueued < capacity, queuedBytes + frame.json.utf8.count <= maxBytes else { return overflow() }
        append(frame, isLive: true)
        liveQueued += 1
        if frame.messageId != nil { sentLive(1) }
        return claimFlush()
    }

    /// Queues the frames one socket gets of a batch the hub published, in order: together they count as one live frame
    /// against the capacity (a batch may hold more messages than that, after a burst of commits), each by its bytes.
    mutating func send(batch frames: [OutgoingFrame]) -> Action {
        guard closeReason == nil, !isFinished else { return .none }
        if isReplaying {
            for frame in frames {
                held.append(frame)
                queuedBytes += frame.json.utf8.count
            }
            heldPlaces += 1
            return heldPlaces > holdLimit || queuedBytes > maxBytes ? overflow() : .none
        }
        let fresh = frames.filter { isNew($0) }
        guard !fresh.isEmpty else { return .none }
        let bytes = fresh.reduce(0) { $0 + $1.json.utf8.count }
        guard liveQueued < capacity, queuedBytes + bytes <= maxBytes else { return overflow() }
        for (index, frame) in fresh.enumerated() { append(frame, isLive: index == 0) }
        liveQueued += 1
        sentLive(fresh.count(where: { $0.messageId != nil }))
        return claimFlush()
    }

    /// Holds live frames back until ``finishReplay(_:)``.
    mutating func beginReplay() {
        isReplaying = true
    }

    /// Queues the replayed frames, then the live frames held meanwhile, each message at most once. Ignored once
    /// the connection is closing or closed (the replay then stays unfinished).
    ///
    /// A replay cut short (`catchingUp`) is followed by `resume` frames, page after page, each replaying what came
    /// since the client's cursor, the live messages this socket got meanwhile included: until a replay ends whole, the
    /// ids sent are remembered up to ``catchUpMessages`` (not ``recentMessages``), so none of those goes out twice;
    /// until more live messages than ``recentMessages`` went out without a next page.
    mutating func finishReplay(_ frames: [OutgoingFrame], catchingUp: Bool = false) -> Action {
        guard closeReason == nil, !isFinished else { return .none }
        liveSincePage = 0
        if catchingUp { recent.resize(to: catchUpMessages) }
        defer { if !catchingUp { recent.resize(to: recentMessages) } }
        dropHeld()
        for frame in frames + held where isNew(frame) { append(frame, isLive: false) }
        held = []
        isReplaying = false
        return queuedBytes > maxBytes ? overflow() : claimFlush()
    }

    /// A replay that could not be made: queues `frames` (the error), drops the live frames held meanwhile, and closes
    /// with `reason` once they are flushed. The client resumes later from where it was; the held frames, whose cursors
    /// assume the replay, must not reach it.
    mutating func failReplay(_ frames: [OutgoingFrame], close reason: CloseReason) -> Action {
        guard closeReason == nil, !isFinished else { return .none }
        dropHeld()
        held = []
        isReplaying = false
        for frame in frames { append(frame, isLive: false) }
        closeReason = reason
        return claimFlush()
    }

    /// Ends the connection: queued frames are flushed, then a close frame is sent. A slow consumer is disconnected
    /// at once instead, even one whose close began already (its queue, close frame last, does not drain). Only the
    /// first close counts otherwise.
    mutating func close(_ reason: CloseReason) -> Action {
        guard !isFinished, closeReason != .slowConsumer else { return .none }
        if reason == .slowConsumer, closeReason != nil, !closeFrameSent { return .closeChannel }
        guard closeReason == nil else { return .none }
        closeReason = reason
        if reason == .slowConsumer { return .closeChannel }
        return claimFlush()
    }

    /// The channel closed: drops whatever is queued or held; every later event is ignored.
    mutating func finish() {
        isFinished = true
        queue.removeAll()
        held = []
        heldPlaces = 0
        liveQueued = 0
        queuedBytes = 0
    }

    /// The next step of a flush: the next queued frame while the channel is writable, then the close frame once a
    /// closing connection's queue is empty. Releases the flush claim when the queue is empty or the channel is not
    /// writable.
    mutating func flushStep(isWritable: Bool) -> FlushAction {
        if isWritable, let item = queue.popFirst() {
            if item.isLive { liveQueued -= 1 }
            queuedBytes -= item.text.utf8.count
            return .write(item.text)
        }
        isFlushScheduled = false
        guard queue.isEmpty, let reason = closeReason, !closeFrameSent, !isFinished else { return .stop }
        closeFrameSent = true
        return .writeCloseFrame(reason, closeChannelAfter: Self.closeDeadline)
    }

    /// Sends the close frame for `reason` now, dropping whatever is still queued (protocol errors). Overrides a
    /// close still flushing; ignored once a close frame was sent or the channel closed.
    mutating func closeNow(_ reason: CloseReason) -> CloseNowAction {
        guard !closeFrameSent, !isFinished else { return .none }
        closeReason = reason
        closeFrameSent = true
        queue.removeAll()
        liveQueued = 0
        queuedBytes = held.reduce(0) { $0 + $1.json.utf8.count }
        return .writeCloseFrame(reason, closeChannelAfter: Self.closeDeadline)
    }

    private mutating func append(_ frame: OutgoingFrame, isLive: Bool) {
        let text = frame.json
        queue.append(Queued(text: text, isLive: isLive))
        queuedBytes += text.utf8.count
    }

    /// Stops counting the held frames' bytes (they are queued again, or dropped).
    private mutating func dropHeld() {
        for frame in held { queuedBytes -= frame.json.utf8.count }
        heldPlaces = 0
    }

    private mutating func overflow() -> Action {
        closeReason = .slowConsumer
        return .closeChannel
    }

    /// Claims the flush; ``Action/scheduleFlush`` when the caller must schedule it.
    private mutating func claimFlush() -> Action {
        guard !isFlushScheduled else { return .none }
        isFlushScheduled = true
        return .scheduleFlush
    }

    /// Counts live messages sent since the last replay: a client that let as many as the usual window holds go by
    /// without asking for its next page is not catching up (it reloads through REST, say): the window shrinks back.
    private mutating func sentLive(_ count: Int) {
        guard recent.capacity > recentMessages else { return }
        liveSincePage += count
        if liveSincePage > recentMessages { recent.resize(to: recentMessages) }
    }

    /// False for a message this socket already got.
    private mutating func isNew(_ frame: OutgoingFrame) -> Bool {
        guard let id = frame.messageId else { return true }
        return recent.insert(id)
    }
}

/// A frame waiting to be written.
private struct Queued: Sendable {
    var text: String
    /// Replayed frames do not count against the live capacity: the replay is bounded by its own limit.
    var isLive: Bool
}
