import NIOCore
import NIOHTTP1

/// Closes an HTTP connection whose client keeps the relay waiting too long (``HTTPConnectionDeadlines``): one that
/// sends nothing, trickles its request's head or body, or reads nothing of an answer. It sits right after the HTTP
/// decoder and is removed when the connection becomes a WebSocket (which has its own idle timeout). It also answers a
/// request that cannot be parsed with a JSON 400.
final class HTTPDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var deadlines: HTTPConnectionDeadlines
    private var timer: Scheduled<Void>?
    /// How often the deadlines are checked: a tenth of the shortest timeout, within 20 ms...1 s.
    private let period: TimeAmount
    private var answeredMalformed = false

    init(timeouts: HTTPTimeouts, drainLimit: Int) {
        deadlines = HTTPConnectionDeadlines(timeouts: timeouts, drainLimit: drainLimit, now: .now())
        let shortest = TimeAmount(min(timeouts.header, timeouts.body, timeouts.idle))
        period = max(.milliseconds(20), min(.seconds(1), .nanoseconds(shortest.nanoseconds / 10)))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        scheduleCheck(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines.headRead()
        case .body(let bytes):
            guard deadlines.bodyRead(bytes: bytes.readableBytes) else {
                context.close(promise: nil)
                return
            }
        case .end: deadlines.requestEnded(at: .now())
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        deadlines.bytesArrived(at: .now())
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        deadlines.readRequested(at: .now())
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { deadlines.answerEnded(at: .now()) }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        deadlines.writabilityChanged(isWritable: context.channel.isWritable, at: .now())
        context.fireChannelWritabilityChanged()
    }

    /// A request the decoder cannot parse, between answers: a JSON 400, then the connection closes (the decoder
    /// reads nothing more). In the middle of an answer the error goes on to the request's handler.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, deadlines.unanswered == 0, !answeredMalformed else {
            context.fireErrorCaught(error)
            return
        }
        answeredMalformed = true
        let body = context.channel.allocator.buffer(string: #"{"error":"Malformed HTTP request"}"#)
        var head = HTTPResponseHead(version: .http1_1, status: .badRequest)
        head.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        head.headers.add(name: "Content-Length", value: String(body.readableBytes))
        head.headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func scheduleCheck(_ context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: period) { [self] in
            timer = nil
            if deadlines.isExpired(at: .now()) {
                context.close(promise: nil)
            } else {
                scheduleCheck(context)
            }
        }
    }
}
