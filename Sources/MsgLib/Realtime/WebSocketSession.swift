import Foundation
import HummingbirdWebSocket
import Logging
import Synchronization

/// One client socket from upgrade to close: the `connected` frame, the replay, the client's frames, the idle
/// timeout, typing expiry, and a writer that drains the socket's queue.
struct WebSocketSession {
    let service: MessagingService
    let hub: Hub
    let configuration: RealtimeConfiguration
    let user: User
    let logger: Logger
    /// Closes the TCP connection at once, for a client that stopped reading (a close frame could not get through).
    let cutOff: @Sendable () -> Void

    private enum Ended { case reader, writer, other }

    struct SlowConsumer: Error {}

    /// Serves the socket until either side closes it. `greeting` is an extra frame sent right after `connected`.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, resumeFrom: UUID?, greeting: ServerFrame? = nil) async throws {
        let connection = ClientConnection(user: user, capacity: configuration.sendQueueCapacity, cutOff: cutOff)
        connection.send(OutgoingFrame(.connected(userId: user.id, connectionId: connection.id, timestamp: .now())))
        if let greeting { connection.send(OutgoingFrame(greeting)) }
        connection.beginReplay()
        hub.register(connection)
        let typing = TypingTimers()
        defer {
            hub.unregister(connection)
            connection.finish()
            typing.stopAll { conversationId in
                try? await service.typing(viewer: user, conversationId: conversationId, isTyping: false)
            }
        }
        try await withThrowingTaskGroup(of: Ended.self) { group in
            group.addTask {
                while let text = await connection.outgoing.next() {
                    try await outbound.writeTextMessage(text)
                }
                switch connection.closeReason {
                case .goingAway: try await outbound.close(.goingAway, reason: "server shutting down")
                case .idle: try await outbound.close(.normalClosure, reason: "idle timeout")
                case .slowConsumer:
                    logger.notice("disconnected a client that stopped reading", metadata: ["user": "\(user.id)"])
                    throw SlowConsumer()
                case nil: break
                }
                return .writer
            }
            group.addTask {
                await replay(connection, after: resumeFrom)
                return .other
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: configuration.maxFrameSize) {
                    connection.touch()
                    switch message {
                    case .text(let text): await handle(text, connection: connection, typing: typing)
                    case .binary: connection.send(OutgoingFrame(.error(code: "unsupported", message: "Binary frames are not supported", retryAfter: nil)))
                    }
                }
                return .reader
            }
            while let ended = try await group.next() {
                if ended != .other { break }
            }
            // The writer waits on the queue, which does not watch for cancellation: end the queue too.
            connection.finish()
            group.cancelAll()
        }
    }

    private func replay(_ connection: ClientConnection, after lastMessageId: UUID?) async {
        do {
            let (messages, truncated) = try await service.replay(viewer: user, after: lastMessageId, limit: configuration.replayLimit)
            var frames = messages.map { OutgoingFrame(.message($0.message, sender: $0.sender)) }
            if lastMessageId != nil { frames.append(OutgoingFrame(.replayed(count: messages.count, truncated: truncated))) }
            await connection.finishReplay(frames)
        } catch {
            await connection.finishReplay([OutgoingFrame(Self.errorFrame(for: error, logger: logger))])
        }
    }

    private func handle(_ text: String, connection: ClientConnection, typing: TypingTimers) async {
        switch ClientFrame.parse(text) {
        case .failure(let invalid):
            connection.send(OutgoingFrame(.error(code: invalid.code, message: invalid.message, retryAfter: nil)))
        case .success(let frame):
            do {
                switch frame {
                case .ping:
                    connection.send(OutgoingFrame(.pong(.now())))
                case .sendMessage(let conversationId, let content):
                    // The service's local delivery hands it to the hub at commit, this socket included.
                    _ = try await service.sendMessage(viewer: user, conversationId: conversationId, content: content)
                case .markRead(let ids):
                    _ = try await service.markRead(viewer: user, messageIds: ids)
                case .typing(let conversationId, let isTyping):
                    try await service.typing(viewer: user, conversationId: conversationId, isTyping: isTyping)
                    if isTyping {
                        let (service, user) = (self.service, self.user)
                        typing.start(conversationId, after: configuration.typingTimeout) {
                            try? await service.typing(viewer: user, conversationId: conversationId, isTyping: false)
                        }
                    } else {
                        typing.cancel(conversationId)
                    }
                case .resume(let lastMessageId):
                    connection.beginReplay()
                    await replay(connection, after: lastMessageId)
                }
            } catch {
                connection.send(OutgoingFrame(Self.errorFrame(for: error, logger: logger)))
            }
        }
    }

    /// The `error` frame for a failure: the service's refusals keep their message; the code names the kind.
    static func errorFrame(for error: any Error, logger: Logger) -> ServerFrame {
        switch error {
        case let error as ServiceError:
            return .error(code: error.kind.rawValue, message: error.message, retryAfter: error.retryAfter)
        case let error as AuthError:
            return .error(code: "unauthorized", message: error.description, retryAfter: nil)
        case let error as DatabaseError where error.kind == .unavailable:
            return .error(code: "unavailable", message: "Database unavailable", retryAfter: nil)
        case is CancellationError:
            return .error(code: "unavailable", message: "The connection is closing", retryAfter: nil)
        default:
            logger.error("socket request failed", metadata: ["error": "\(String(reflecting: error))"])
            return .error(code: "internal", message: "Internal server error", retryAfter: nil)
        }
    }
}

/// Typing indicators this socket turned on, each switched off by the server if the client does not.
final class TypingTimers: Sendable {
    private let timers = Mutex<[UUID: Task<Void, Never>]>([:])

    func start(_ conversationId: UUID, after delay: Duration, expire: @escaping @Sendable () async -> Void) {
        let task = Task {
            try? await Task.sleep(for: delay)
            if Task.isCancelled { return }
            await expire()
            _ = self.timers.withLock { $0.removeValue(forKey: conversationId) }
        }
        timers.withLock { $0.updateValue(task, forKey: conversationId)?.cancel() }
    }

    func cancel(_ conversationId: UUID) {
        timers.withLock { $0.removeValue(forKey: conversationId) }?.cancel()
    }

    /// Cancels every timer and runs `expire` for each indicator still on.
    func stopAll(expire: @escaping @Sendable (UUID) async -> Void) {
        let active = timers.withLock { timers in
            defer { timers = [:] }
            return timers
        }
        for (conversationId, task) in active {
            task.cancel()
            Task { await expire(conversationId) }
        }
    }
}
