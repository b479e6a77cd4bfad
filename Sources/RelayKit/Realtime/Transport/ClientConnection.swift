import Foundation
import MsgLib
import NIOCore
import NIOWebSocket
import Synchronization

/// The outgoing side of one client socket: a bounded queue of encoded frames, written to the channel on its
/// event loop whenever the channel can take them.
///
/// Nothing that delivers a frame ever waits for a socket: `send` queues and returns. A client whose queue fills
/// up (it stopped reading) is cut off, so it cannot slow anybody else. While a replay is being read from the
/// database, live frames are held back and sent after it, and a message is never sent twice on one socket.
/// An idle socket owns no task and no buffer: only this object and its channel.
///
/// The decisions are ``ConnectionStateMachine``'s; this shell performs its actions on the channel.
final class ClientConnection: Sendable {
    /// Why the server ends a connection.
    typealias CloseReason = ConnectionStateMachine.CloseReason

    let id = UUID()
    let user: User
    /// When the client's token expires, seconds since the epoch: the socket is closed then (4401).
    let expires: Int64
    let capacity: Int
    /// Counts the frames queued for the client.
    let metrics: SocketMetrics?
    private let channel: any Channel
    private let state: Mutex<ConnectionStateMachine>
    /// When the client last sent a frame, in nanoseconds of the monotonic clock.
    private let lastActivity = Atomic<Int64>(ClientConnection.monotonicNow())

    /// Since when queued frames wait for a channel that takes nothing (monotonic nanoseconds; 0: not stalled).
    private let stalledSince = Atomic<Int64>(0)

    init(user: User, expires: Int64 = .max, capacity: Int, maxBytes: Int = .max, channel: any Channel, metrics: SocketMetrics? = nil) {
        self.user = user
        self.metrics = metrics
        self.expires = expires
        self.capacity = capacity
        self.channel = channel
        self.state = Mutex(ConnectionStateMachine(capacity: capacity, maxBytes: maxBytes))
    }

    /// How long, at `now` (``monotonicNow()``), queued frames have waited for a channel that takes nothing, in
    /// nanoseconds (zero when the client reads).
    func stalledNanoseconds(at now: Int64) -> Int64 {
        let since = stalledSince.load(ordering: .relaxed)
        return since == 0 ? 0 : now - since
    }

    /// Records that the client sent a frame.
    func touch() { lastActivity.store(Self.monotonicNow(), ordering: .relaxed) }

    /// How long, at `now` (``monotonicNow()``), the client has sent nothing, in nanoseconds.
    func idleNanoseconds(at now: Int64) -> Int64 { now - lastActivity.load(ordering: .relaxed) }

    /// The reason the server closed this connection, if it did.
    var closeReason: CloseReason? { state.withLock { $0.closeReason } }

    /// Whether its channel has closed (``finish()``).
    var isFinished: Bool { state.withLock { $0.isFinished } }

    /// Queues a frame (held back during a replay). Never waits.
    func send(_ frame: OutgoingFrame) {
        metrics?.sent(frame.type)
        perform(state.withLock { $0.send(frame) })
    }

    /// Queues the frames this socket gets of one published batch (see ``ConnectionStateMachine/send(batch:)``).
    func send(batch frames: [OutgoingFrame]) {
        for frame in frames { metrics?.sent(frame.type) }
        perform(state.withLock { $0.send(batch: frames) })
    }

    /// Queues an answer to the frame just read and writes it at once. Runs on the channel's event loop.
    func answer(_ frame: OutgoingFrame) {
        channel.eventLoop.preconditionInEventLoop()
        metrics?.sent(frame.type)
        perform(state.withLock { $0.send(frame) }, flushingNow: true)
    }

    /// Holds live frames back until ``finishReplay(_:)``.
    func beginReplay() {
        state.withLock { $0.beginReplay() }
    }

    /// Queues the replayed frames, then the live frames held meanwhile, each message at most once.
    func finishReplay(_ frames: [OutgoingFrame], catchingUp: Bool = false) {
        count(frames)
        perform(state.withLock { $0.finishReplay(frames, catchingUp: catchingUp) })
    }

    /// Queues `frames` instead of a replay that failed, drops the held live frames, and closes with `reason`.
    func failReplay(_ frames: [OutgoingFrame], close reason: CloseReason) {
        count(frames)
        beginClose { $0.failReplay(frames, close: reason) }
    }

    /// Ends the connection: queued frames are flushed, then a close frame is sent. A client that stopped
    /// reading is disconnected at once instead (a close frame could not get through).
    func close(_ reason: CloseReason) {
        beginClose { $0.close(reason) }
    }

    /// Runs `step`, a close of the state machine, and performs its action. A close waits for the queue to be flushed;
    /// a client that reads nothing more is cut off all the same, a while later (unless the channel is closed already,
    /// or being closed now). Only the first close counts: a client that goes on sending what gets it closed schedules
    /// nothing more.
    private func beginClose(_ step: (inout ConnectionStateMachine) -> ConnectionStateMachine.Action) {
        let (action, first) = state.withLock { machine in
            let first = machine.closeReason == nil && !machine.isFinished
            return (step(&machine), first)
        }
        perform(action)
        guard first, action != .closeChannel else { return }
        channel.eventLoop.scheduleTask(in: .seconds(2 * ConnectionStateMachine.closeDeadline.components.seconds)) { [channel] in
            channel.close(promise: nil)
        }
    }

    /// The channel closed: drop whatever is queued.
    func finish() {
        state.withLock { $0.finish() }
    }

    /// Writes queued frames while the channel accepts them, then the close frame once a closing connection's
    /// queue is empty. Runs on the channel's event loop (after a `send`, and when the channel becomes writable).
    func flush() {
        channel.eventLoop.preconditionInEventLoop()
        var wrote = false
        steps: while true {
            let isWritable = channel.isWritable
            switch state.withLock({ $0.flushStep(isWritable: isWritable) }) {
            case .write(let text):
                channel.write(WebSocketFrame(fin: true, opcode: .text, data: Self.frameBuffer(text, allocator: channel.allocator)), promise: nil)
                wrote = true
            case .writeCloseFrame(let reason, let deadline):
                Self.writeClose(reason, to: channel, closeChannelAfter: deadline)
                wrote = true
                break steps
            case .stop:
                break steps
            }
        }
        if wrote { channel.flush() }
        let waiting = state.withLock { $0.queuedCount } > 0
        if !waiting {
            stalledSince.store(0, ordering: .relaxed)
        } else if wrote || stalledSince.load(ordering: .relaxed) == 0 {
            stalledSince.store(Self.monotonicNow(), ordering: .relaxed)
        }
    }

    /// Stops or resumes reading from the client (back-pressure while its frames wait to be handled).
    func setReading(_ on: Bool) {
        channel.setOption(ChannelOptions.autoRead, value: on).whenComplete { _ in }
        if on { channel.read() }
    }

    /// Resumes reading on the channel's event loop if `wanted` says so there: a pause made on the event loop after the
    /// resume was decided elsewhere is not undone by it.
    func resumeReading(if wanted: @escaping @Sendable () -> Bool) {
        channel.eventLoop.execute { [self] in
            if wanted() { setReading(true) }
        }
    }

    /// True once this side sent its close frame (a close from the client then ends the TCP connection).
    var closeFrameSent: Bool { state.withLock { $0.closeFrameSent } }

    /// Sends the close frame for `reason` now, skipping whatever is still queued (protocol errors).
    func closeNow(_ reason: CloseReason) {
        channel.eventLoop.preconditionInEventLoop()
        switch state.withLock({ $0.closeNow(reason) }) {
        case .none:
            break
        case .writeCloseFrame(let reason, let deadline):
            Self.writeClose(reason, to: channel, closeChannelAfter: deadline)
            channel.flush()
        }
    }

    /// Writes (without flushing) the close frame for `reason`, and closes the channel `deadline` later (3 s unless
    /// told) if the client has not answered with its own close frame by then.
    static func writeClose(
        _ reason: CloseReason, to channel: any Channel, closeChannelAfter deadline: Duration = ConnectionStateMachine.closeDeadline
    ) {
        var data = channel.allocator.buffer(capacity: 2 + reason.reason.utf8.count)
        data.write(webSocketErrorCode: reason.closeCode)
        data.writeString(reason.reason)
        channel.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), promise: nil)
        // The client answers with its own close frame; if it does not, the connection ends anyway.
        channel.eventLoop.scheduleTask(in: TimeAmount(deadline)) { [channel] in channel.close(promise: nil) }
    }

    /// The largest header of a frame the server sends (unmasked, payload length in 8 bytes).
    static let frameHeaderRoom = 10

    /// `text` in a buffer with room before it for the frame's header, which the encoder then writes in place: one
    /// buffer and one write per frame instead of two.
    static func frameBuffer(_ text: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frameHeaderRoom + text.utf8.count)
        buffer.moveWriterIndex(forwardBy: frameHeaderRoom)
        buffer.moveReaderIndex(forwardBy: frameHeaderRoom)
        buffer.writeString(text)
        return buffer
    }

    /// Counts frames queued for the client, by type.
    private func count(_ frames: [OutgoingFrame]) {
        guard let metrics else { return }
        for frame in frames { metrics.sent(frame.type) }
    }

    /// Performs an action of the state machine; a flush runs at once when `flushingNow` (the caller is on the event loop).
    private func perform(_ action: ConnectionStateMachine.Action, flushingNow: Bool = false) {
        switch action {
        case .none: break
        case .scheduleFlush where flushingNow: flush()
        case .scheduleFlush: channel.eventLoop.execute { self.flush() }
        case .closeChannel: channel.close(promise: nil)
        }
    }

    /// Nanoseconds of the monotonic clock.
    static func monotonicNow() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

extension ConnectionStateMachine.CloseReason {
    /// The close code as NIO spells it.
    var closeCode: WebSocketErrorCode { WebSocketErrorCode(codeNumber: Int(code)) }
}
