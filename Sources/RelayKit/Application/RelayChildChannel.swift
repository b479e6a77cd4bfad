import Hummingbird
import HummingbirdCore
import Logging
import MsgLib
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The connections msgrelay accepts: HTTP/1.1 for the REST API, upgraded to a WebSocket on `/ws/messages`.
///
/// Every connection has deadlines for its client (``HTTPDeadlineHandler``) until it is upgraded.
/// An upgraded socket is served by channel handlers on its event loop (``SocketHandler``), with no task of
/// its own while it is idle: ten thousand waiting browsers cost little more than their sockets. HTTP
/// connections go to Hummingbird's router as usual.
struct RelayChildChannel: ServerChildChannel, HTTPChannelHandler {
    enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case webSocket
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let sockets: SocketServices
    let timeouts: HTTPTimeouts

    /// How much a connection reads at a time: 512 bytes at first, between 64 bytes and 64 KiB as its reads require.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let admission = NIOLoopBoundBox<SocketAdmission?>(nil, eventLoop: channel.eventLoop)
            // Each connection's closures capture the one shared ``SocketServices``, not copies of what it holds.
            let sockets = self.sockets
            // A connection keeps its receive buffer while it lives: sized for a request line and a token at first (not
            // NIO's 2 KiB), growing when a read fills it. An idle socket holds 512 bytes.
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
            let deadlines = HTTPDeadlineHandler(timeouts: timeouts, drainLimit: RelayRequestContext.maxUploadSize)
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: sockets.configuration.maxFrameSize,
                shouldUpgrade: { channel, head in
                    guard head.uri.split(separator: "?", maxSplits: 1).first == Substring(SocketAdmission.path) else {
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    let decided = channel.eventLoop.makePromise(of: SocketAdmission.self)
                    decided.completeWithTask {
                        await SocketAdmission.decide(head, service: sockets.service, hub: sockets.hub, configuration: sockets.configuration)
                    }
                    return decided.futureResult.map { decision in
                        admission.value = decision
                        // Upgrading: the socket's own idle timeout takes over from the HTTP deadlines.
                        if let handler = try? channel.pipeline.syncOperations.context(handlerType: HTTPDeadlineHandler.self) {
                            channel.pipeline.syncOperations.removeHandler(context: handler, promise: nil)
                        }
                        return HTTPHeaders()
                    }
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let decision = admission.value else { throw ChannelError.inappropriateOperationForState }
                        var socketLogger = logger
                        socketLogger[metadataKey: "socket"] = "\(ObjectIdentifier(channel).hashValue)"
                        try channel.pipeline.syncOperations.addHandler(
                            NIOWebSocketFrameAggregator(
                                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024,
                                maxAccumulatedFrameSize: sockets.configuration.maxFrameSize))
                        try channel.pipeline.syncOperations.addHandler(
                            SocketHandler(
                                admission: decision, queueCapacity: sockets.configuration.sendQueueCapacity,
                                maxQueuedBytes: sockets.configuration.maxQueuedBytes,
                                metrics: sockets.metrics
                            ) { user, connection in
                                SocketSession(services: sockets, user: user, connection: connection, logger: socketLogger)
                            })
                        return Negotiated.webSocket
                    }
                })
            let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Negotiated>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
                        return Negotiated.http(
                            try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
                    }
                })
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrade)
            pipeline.enablePipelining = false  // requests are taken one at a time by the async channel
            pipeline.enableErrorHandling = false  // Hummingbird answers parse errors
            pipeline.enableResponseHeaderValidation = false  // HTTP types validate them already
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            // Right after the request decoder: it sees every request part and every read, before the upgrade decision.
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(deadlines, position: .after(decoder))
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let channel): await handleHTTP(asyncChannel: channel, logger: logger)
            case .webSocket: return  // served by its channel handlers from now on
            }
        } catch {
            logger.trace("connection ended before its first request", metadata: ["error": "\(error)"])
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with msgrelay's own WebSocket endpoint (see ``RelayChildChannel``).
    static func relay(
        service: MessagingService, hub: Hub, feed: CommitFeed, configuration: RealtimeConfiguration, timeouts: HTTPTimeouts,
        metrics: RelayMetrics? = nil
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            RelayChildChannel(
                responder: responder,
                sockets: SocketServices(service: service, hub: hub, feed: feed, configuration: configuration, metrics: metrics),
                timeouts: timeouts)
        }
    }
}
