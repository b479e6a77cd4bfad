import Foundation
import Logging
import MsgLib
import Synchronization

/// What one client socket does with its frames, from the `connected` frame to the end: the replay, the
/// client's requests through the service layer, typing expiry.
///
/// Frames are handled one after another, in the order the client sent them, by a task that exists only
/// while there is work: an idle socket costs no task. The bookkeeping is ``SessionWorkQueue``'s.
final class SocketSession: Sendable {
    let service: MessagingService
    let hub: Hub
    let configuration: RealtimeConfiguration
    let user: User
    let connection: ClientConnection
    let logger: Logger
    private let typing = TypingTimers()

    private typealias Job = @Sendable (SocketSession) async -> Void

    /// Frames waiting to be handled before the socket stops reading from its client.
    static let backlogLimit = 64
    private let work = Mutex(SessionWorkQueue<Job>(backlogLimit: SocketSession.backlogLimit))

    init(service: MessagingService, hub: Hub, configuration: RealtimeConfiguration, user: User, connection: ClientConnection, logger: Logger) {
        self.service = service
        self.hub = hub
        self.configuration = configuration
        self.user = user
        self.connection = connection
        self.logger = logger
    }

    /// Greets the client, registers the socket with the hub and starts the replay (unread messages, or
    /// everything after `resumeFrom`). `greeting` is an extra frame sent right after `connected`.
    func start(resumeFrom: UUID?, greeting: ServerFrame?) {
        connection.send(OutgoingFrame(.connected(userId: user.id, connectionId: connection.id, timestamp: .now())))
        if let greeting { connection.send(OutgoingFrame(greeting)) }
        connection.beginReplay()
        hub.register(connection)
        enqueue { session in await session.replay(after: resumeFrom) }
    }

    /// Handles a text frame from the client (in order, after the frames before it).
    func receive(_ text: String) {
        let isPing = ClientFrame.isPing(text)
        // The heartbeat is most of the traffic: answered at once when nothing is waiting before it.
        if isPing, work.withLock({ $0.canAnswerPingDirectly }) {
            connection.send(OutgoingFrame(.pong(.now())))
            return
        }
        enqueue { session in await session.handle(text) }
    }

    /// A binary frame: refused with an `error` frame.
    func receiveBinary() {
        connection.send(OutgoingFrame(.error(code: "unsupported", message: "Binary frames are not supported", retryAfter: nil)))
    }

    /// The socket closed: unregisters it and turns off the typing indicators it left on.
    func end() {
        work.withLock { $0.end() }
        hub.unregister(connection)
        connection.finish()
        let (service, user) = (self.service, self.user)
        typing.stopAll { conversationId in
            try? await service.typing(viewer: user, conversationId: conversationId, isTyping: false)
        }
    }

    private func enqueue(_ job: @escaping Job) {
        let (start, pause) = work.withLock { $0.enqueue(job) }
        // A client that sends faster than its frames are handled is not read from until the backlog clears.
        if pause { connection.setReading(false) }
        if start { Task { await self.drain() } }
    }

    /// Runs queued jobs until none is left, then lets the task end.
    private func drain() async {
        while true {
            let (next, resume) = work.withLock { $0.next() }
            if resume { connection.setReading(true) }
            guard let next else { return }
            await next(self)
        }
    }

    private func replay(after lastMessageId: UUID?) async {
        do {
            let (messages, truncated) = try await service.replay(viewer: user, after: lastMessageId, limit: configuration.replayLimit)
            var frames = messages.map { OutgoingFrame(.message($0.message, sender: $0.sender)) }
            if lastMessageId != nil { frames.append(OutgoingFrame(.replayed(count: messages.count, truncated: truncated))) }
            connection.finishReplay(frames)
        } catch {
            connection.finishReplay([OutgoingFrame(Self.errorFrame(for: error, logger: logger))])
        }
    }

    private func handle(_ text: String) async {
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
                    await replay(after: lastMessageId)
                }
            } catch {
                connection.send(OutgoingFrame(Self.errorFrame(for: error, logger: logger)))
            }
        }
    }

    /// The `error` frame for a failure (see ``ServerFrame/error(for:logger:)``).
    static func errorFrame(for error: any Error, logger: Logger) -> ServerFrame { .error(for: error, logger: logger) }
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
