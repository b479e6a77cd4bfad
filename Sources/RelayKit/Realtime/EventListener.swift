import Foundation
import Logging
import MsgLib
import ServiceLifecycle
import Synchronization

/// LISTENs on `msgrelay_events` over a connection of its own: a new message wakes the ``CommitFeed`` (which reads it
/// in commit order), read receipts and typing indicators go to the ``Hub``, a change to a user is applied at once.
///
/// The blocking libpq loop runs on a thread of its own (poll on the socket, then read notifications), kept by a
/// ``ReconnectingLoop``. A round trip every few seconds, with a deadline, proves the connection alive, so a link whose
/// peer vanished without closing it is noticed in seconds. When the connection is lost (PostgreSQL restarted, network),
/// it reconnects with backoff, LISTENs again, and then catches up: the feed sweeps (messages need nothing more: the
/// feed follows snapshots, not notifications), and every message read since a few seconds before the last proven
/// round trip has its receipt delivered again (retried until it succeeds).
///
/// The listener's session also claims the right to count msgctl's messages (``MessagingService/claimCounting(on:)``):
/// at each connection and, while another relay holds it, at each round trip; `onCounting` hears whether it holds it.
package final class EventListener: Service, Sendable {
    enum Signal: Sendable {
        case events([RealtimeEvent])
        case reconnected(since: Timestamp)
    }

    let conninfo: String
    let service: MessagingService
    let hub: Hub
    let feed: CommitFeed
    let logger: Logger
    /// Called when another process announced messages.
    let onMessage: @Sendable () -> Void
    /// Called with whether this relay holds the right to count msgctl's messages, whenever that may have changed.
    let onCounting: @Sendable (Bool) -> Void
    /// This relay's announcements carry it; they need no sweep (the feed was woken at the commit).
    let origin: UUID?
    private let worker = ReconnectingLoop(name: "msgrelay-listener")
    private let listening = Atomic<Bool>(false)
    /// How far before the loss a catch-up starts, to cover transactions that committed late.
    static let catchUpMargin = 5.0
    /// Seconds between round trips that prove the LISTEN connection alive.
    let probeInterval: Double
    /// Seconds a round trip may take before the connection counts as dead and is closed.
    let probeTimeout: Double

    package init(
        conninfo: String, service: MessagingService, hub: Hub, feed: CommitFeed, origin: UUID? = nil, logger: Logger, probeInterval: Double = 5,
        probeTimeout: Double = 5,
        onMessage: @escaping @Sendable () -> Void = {}, onCounting: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        self.onCounting = onCounting
        self.conninfo = conninfo
        self.probeInterval = probeInterval
        self.probeTimeout = probeTimeout
        self.onMessage = onMessage
        self.service = service
        self.hub = hub
        self.feed = feed
        self.origin = origin
        self.logger = logger
    }

    /// True while the LISTEN connection is up.
    package var isListening: Bool { listening.load(ordering: .relaxed) }

    package func run() async throws {
        let (signals, continuation) = AsyncStream.makeStream(of: Signal.self)
        worker.start { [self] in self.loop(continuation) }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.recheckUsersWhileNotListening() }
                for await signal in signals {
                    await self.handle(signal)
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.worker.stop()
        }
    }

    /// Seconds between checks of the connected sockets' users while the listener is down.
    static let recheckInterval: Duration = .seconds(1)

    /// While no change to a user can be heard, every ``recheckInterval`` the users of the sockets here are read again
    /// and the sockets whose rights changed are closed: an admin demoted meanwhile stops getting every conversation.
    private func recheckUsersWhileNotListening() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.recheckInterval)
            if !isListening { try? await recheckConnectedUsers() }
        }
    }

    /// Reads the user of every socket here again and closes those whose rights no longer match.
    private func recheckConnectedUsers() async throws {
        let ids = hub.connectedUsers
        guard !ids.isEmpty else { return }
        let users = try await service.currentUsers(ids)
        for id in ids { hub.userChanged(id, isAdmin: users[id]?.isAdmin) }
    }

    /// The listener thread: LISTEN, then poll and read notifications until stopped, reconnecting after failures.
    ///
    /// Every ``probeInterval`` a round trip on the connection proves it alive (see ``ListenerLiveness``); one that
    /// gets no answer within ``probeTimeout`` closes the connection, and the loop reconnects and catches up.
    private func loop(_ continuation: AsyncStream<Signal>.Continuation) {
        // The first LISTEN catches up too: sockets may connect, and messages arrive, before it is in place.
        var liveness = ListenerLiveness(start: .now(), interval: probeInterval, deadline: probeTimeout, margin: Self.catchUpMargin)
        var counting = false
        worker.run(
            connect: { () throws -> PostgresConnection in
                // The server's keepalives too: a relay host gone without a word frees its session (and the counting lock it
                // holds) within about 30 s, so that another relay takes the counting over.
                let connection = PostgresConnection(
                    conninfo: conninfo, applicationName: "msgrelay-listener", settings: PostgresConnection.serverTCPSettings,
                    connectTimeout: Int(probeTimeout.rounded(.up)) * 2)
                do {
                    try connection.connect()
                    try MessagingService.listenForEvents(on: connection)
                    counting = try MessagingService.claimCounting(on: connection)
                } catch {
                    connection.close()
                    throw error
                }
                listening.store(true, ordering: .relaxed)
                // From here every change to a user is announced: users may be cached again (the cache starts empty).
                service.followUserChanges(true)
                onCounting(counting)
                if let since = liveness.connected(at: Self.uptime()) {
                    logger.info("listener connected; catching up", metadata: ["since": "\(since)"])
                    continuation.yield(.reconnected(since: since))
                }
                return connection
            },
            close: { connection in connection.close() },
            onFailure: { error in
                listening.store(false, ordering: .relaxed)
                service.followUserChanges(false)
                if counting {
                    counting = false
                    onCounting(false)
                }
                if liveness.lost() {
                    logger.warning("listener lost its database connection; reconnecting", metadata: ["error": "\(error)"])
                }
            },
            body: { connection in
                guard let fd = connection.socketDescriptor else { throw DatabaseError(.unavailable, message: "listener socket closed") }
                let now = Self.uptime()
                if liveness.isOverdue(at: now) {
                    throw DatabaseError(.unavailable, message: "no round trip on the listener's connection for \(probeInterval + probeTimeout) s")
                }
                // The server's clock at the answer; it counts once the notifications received before it are handed on.
                var proven: Timestamp?
                if liveness.probeDue(at: now) {
                    proven = try MessagingService.probeListener(on: connection, timeout: probeTimeout)
                    if !counting, try MessagingService.claimCounting(on: connection) {
                        counting = true
                        onCounting(true)
                    }
                }
                var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, 200)
                let notes = try connection.takeNotifications()
                let events = applyingUserChanges(
                    notes.compactMap { note -> RealtimeEvent? in
                        // This relay's own announcements are many under load, and need nothing (its feed was woken at the commit).
                        if let origin, RealtimeEvent.isAnnouncement(note.payload, from: origin) { return nil }
                        return RealtimeEvent(payload: note.payload)
                    })
                if !events.isEmpty { continuation.yield(.events(events)) }
                if let proven { liveness.probed(serverTime: proven, at: now) }
            })
        listening.store(false, ordering: .relaxed)
        service.followUserChanges(false)
        continuation.finish()
    }

    /// Applies the changes to users among `events` at once, and returns the other events.
    ///
    /// A change to a user takes effect as soon as it is heard, not in turn with the events before it: those may wait
    /// behind a catch-up that keeps failing, and meanwhile a demoted admin would keep their sockets and, cached, their
    /// rights. Nothing it affects waits for the others: it forgets the cached user and closes the sockets whose rights
    /// no longer match.
    private func applyingUserChanges(_ events: [RealtimeEvent]) -> [RealtimeEvent] {
        events.filter { event in
            switch event {
            case .user(let userId, let isAdmin):
                service.forgetUser(userId)
                hub.userChanged(userId, isAdmin: isAdmin)
                return false
            case .usersCreated:
                service.forgetUnknownUsers()
                return false
            default:
                return true
            }
        }
    }

    /// Monotonic seconds, for probe timing.
    private static func uptime() -> Double { ProcessInfo.processInfo.systemUptime }

    private func handle(_ signal: Signal) async {
        switch signal {
        case .events(let events):
            do { try await deliver(events) } catch {
                logger.error("real-time delivery failed", metadata: ["error": "\(error)"])
            }
        case .reconnected(let since):
            await catchUp(since: since)
        }
    }

    /// Sweeps for messages and delivers every receipt of a message read since `since`, retrying with backoff until it
    /// succeeds (or the listener stops). Events that arrive meanwhile wait: they come after the catch-up, so order holds.
    /// Changes to users do not wait (``applyingUserChanges(_:)``).
    private func catchUp(since: Timestamp) async {
        // Changes to users may have been missed too: forget them all, and re-check every socket's user before the
        // feed delivers what came meanwhile.
        service.forgetUser(nil)
        var backoff = Backoff()
        while true {
            do {
                try await recheckConnectedUsers()
                feed.wake()
                let read = try await service.readReceipts(since: since)
                await feed.sweep()
                hub.deliverReads(
                    read.map { item in
                        Hub.Receipt(
                            messageId: item.message.id, conversationUserId: item.conversationUserId, readAt: item.message.readAt ?? .now(),
                            readBy: nil)
                    })
                return
            } catch {
                if worker.isStopping { return }
                let delay = backoff.next()
                logger.warning("listener catch-up failed; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
    }

    /// Hands events on in the order they were committed: new messages wake the feed, and receipts wait for its sweep,
    /// so a socket gets a message before its receipt.
    private func deliver(_ events: [RealtimeEvent]) async throws {
        let hasMessages = events.contains { event in
            if case .message(_, _, let from) = event { from == nil || from != origin } else { false }
        }
        let hasReceipts = events.contains { if case .read = $0 { true } else { false } }
        if hasMessages {
            onMessage()
            feed.wake()
        } else if events.contains(.outbox) {
            onMessage()
        }
        // A reaction changed: the sweep reads it in commit order, with the messages (CommitFeed).
        if !hasMessages, events.contains(where: { if case .reaction = $0 { true } else { false } }) { feed.wake() }
        if hasReceipts { await feed.sweep() }
        // Receipts in a row (a bulk read's) go together: one unit of each socket's queue.
        var receipts: [Hub.Receipt] = []
        for event in events {
            if case .read(let messageId, _, let conversationUserId, let readAt, let readBy) = event {
                receipts.append(Hub.Receipt(messageId: messageId, conversationUserId: conversationUserId, readAt: readAt, readBy: readBy))
                continue
            }
            hub.deliverReads(receipts)
            receipts = []
            switch event {
            case .message, .outbox, .reaction, .read, .user, .usersCreated:
                // A change to a user was applied as it arrived.
                break
            case .typing(let conversationId, let conversationUserId, let userId, let isTyping, let fromAdmin):
                hub.deliverTyping(
                    conversationId: conversationId, conversationUserId: conversationUserId, userId: userId, isTyping: isTyping, fromAdmin: fromAdmin)
            }
        }
        hub.deliverReads(receipts)
    }
}
