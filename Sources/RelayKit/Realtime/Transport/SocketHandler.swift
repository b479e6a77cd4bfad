import Logging
import MsgLib
import NIOCore
import NIOWebSocket

/// The channel handler of one upgraded socket, on its event loop: hands text frames to the ``SocketSession``,
/// answers protocol pings, completes the closing handshake, and flushes the connection's queue whenever the
/// channel becomes writable again.
final class SocketHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// The decision, until the handler is added.
    private var admission: SocketAdmission?
    private let makeSession: (User, ClientConnection) -> SocketSession
    private let queueCapacity: Int
    private let maxQueuedBytes: Int
    private let metrics: RelayMetrics?
    private var connection: ClientConnection?
    private var session: SocketSession?
    /// The client sent its close frame: nothing it sends after it counts (RFC 6455 5.5.1).
    private var closeReceived = false

    /// - Parameters:
    ///   - admission: the decision taken on the upgrade request.
    ///   - queueCapacity: frames queued for the client before it counts as not reading.
    ///   - maxQueuedBytes: bytes queued for the client (replay included) before it counts as not reading.
    ///   - metrics: counts sockets, frames and refusals.
    ///   - makeSession: builds the session of an accepted socket.
    init(
        admission: SocketAdmission, queueCapacity: Int, maxQueuedBytes: Int = .max, metrics: RelayMetrics? = nil,
        makeSession: @escaping (User, ClientConnection) -> SocketSession
    ) {
        self.metrics = metrics
        self.admission = admission
        self.queueCapacity = queueCapacity
        self.maxQueuedBytes = maxQueuedBytes
        self.makeSession = makeSession
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let admission else { return }
        self.admission = nil
        switch admission {
        case .accepted(let user, let expires, let resumeFrom, let greeting, let reservation):
            let connection = ClientConnection(
                user: user, expires: expires, capacity: queueCapacity, maxBytes: maxQueuedBytes, channel: context.channel, metrics: metrics?.sockets)
            metrics?.sockets.connectionOpened()
            let session = makeSession(user, connection)
            self.connection = connection
            self.session = session
            session.start(resumeFrom: resumeFrom, greeting: greeting, reservation: reservation)
        case .refused(let reason, let code, let message):
            if code == SocketAdmission.tooManySocketsCode { metrics?.messages.rateLimited(.websocketSockets) }
            let text = ServerFrame.error(code: code, message: message, retryAfter: nil).json
            context.write(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))), promise: nil)
            ClientConnection.writeClose(reason, to: context.channel)
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let connection else {
            // A refused socket waits only for the client's close frame.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        // Frames read behind the client's close frame (in the same read) are not its requests any more.
        guard !closeReceived else { return }
        switch frame.opcode {
        case .text:
            connection.touch()
            guard let session else { return }
            // RFC 6455: a text frame that is not UTF-8 fails the connection (1007), rather than being repaired.
            guard let text = frame.unmaskedData.withUnsafeReadableBytes({ String(validating: $0, as: UTF8.self) }) else {
                connection.closeNow(.refused(1007, "text frames must be UTF-8"))
                return
            }
            session.receive(text)
        case .binary:
            connection.touch()
            metrics?.sockets.received("binary")
            session?.receiveBinary()
        case .ping:
            // Counted against the socket's pings (see SocketSession.pingRate), then answered while the client reads
            // what it is sent. One that does not read gets no more pongs (RFC 6455 lets a pong answer only the latest
            // ping), which would otherwise pile up in memory without bound, and its pings stop counting as activity,
            // so the idle timeout closes it.
            guard session?.takePing() ?? true, context.channel.isWritable else { return }
            connection.touch()
            var data = frame.unmaskedData
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: data.readSlice(length: min(data.readableBytes, 125)) ?? ByteBuffer())
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            connection.touch()
        case .connectionClose:
            closeReceived = true
            if connection.closeFrameSent {
                context.close(promise: nil)
            } else {
                // Echo the client's close code, then end the connection once the echo is written; a code no endpoint
                // may send (1005, 1006, 1015, unassigned ones) or a payload of one byte is answered with 1002.
                var data = frame.unmaskedData
                let code: UInt16
                switch data.readableBytes {
                case 0: code = 1000
                case 1: code = 1002
                default:
                    let sent = data.readInteger(as: UInt16.self) ?? 1002
                    code = Self.isSendableCloseCode(sent) ? sent : 1002
                }
                var reply = context.channel.allocator.buffer(capacity: 2)
                reply.writeInteger(code)
                connection.finish()
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reply)))
                    .whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
            }
        default:
            connection.closeNow(.refused(1002, "unexpected opcode"))
        }
    }

    /// Close codes an endpoint may send (RFC 6455 7.4 and the IANA registry): 1000 to 1003, 1007 to 1014, 3000 to 4999.
    static func isSendableCloseCode(_ code: UInt16) -> Bool {
        (1000...1003).contains(code) || (1007...1014).contains(code) || (3000...4999).contains(code)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { connection?.flush() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOWebSocketFrameAggregator.Error.accumulatedFrameSizeIsTooLarge:
            connection?.closeNow(.refused(1009, "frame too large"))
        case is NIOWebSocketFrameAggregator.Error:
            connection?.closeNow(.refused(1002, "invalid fragmentation"))
        default:
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server is shutting down: flush, then close with 1001.
        if event is ChannelShouldQuiesceEvent { connection?.close(.goingAway) }
        // The client ended its side without a close frame (it vanished): nothing more can come from it, and what is
        // sent would go nowhere; the socket is forgotten now rather than at the idle timeout.
        if case ChannelEvent.inputClosed = event { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session?.end()
        connection?.finish()
        session = nil
        context.fireChannelInactive()
    }
}
