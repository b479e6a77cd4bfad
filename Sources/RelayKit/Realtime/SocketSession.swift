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
    let services: SocketServices
    let user: User
    let connection: ClientConnection
    let logger: Logger
    var service: MessagingService { services.service }
    var hub: Hub { services.hub }
    var feed: CommitFeed { services.feed }
    var configuration: RealtimeConfiguration { services.configuration }
    var metrics: RelayMetrics? { services.metrics }
    private let typing = TypingTimers()
    private let limits: Mutex<(frames: FrameLimiter, pings: FrameLimiter)>

    private typealias Job = @Sendable (SocketSession) async -> Void

    /// Frames waiting to be handled before the socket stops reading from its client.
    static let backlogLimit = 64
    private let work = Mutex(SessionWorkQueue<Job>(backlogLimit: SocketSession.backlogLimit))

    init(services: SocketServices, user: User, connection: ClientConnection, logger: Logger) {
        self.services = services
        self.user = user
        self.connection = connection
        self.logger = logger
        let configuration = services.configuration
        let now = ProcessInfo.processInfo.systemUptime
        self.limits = Mutex(
            (
                FrameLimiter(rate: configuration.frameRate, burst: configuration.frameBurst, now: now),
                FrameLimiter(rate: Self.pingRate, burst: Self.pingBurst, now: now)
            ))
    }

    /// Pings a socket may send (JSON or protocol-level), apart from its other frames: 2 a second, 40 at once. A heartbeat
    /// (every 25 s for the bundled client) is far below; a client that pings faster gets no pong beyond it, and one that
    /// goes on, 40 more, is closed (1008): each ping costs a read and a write, and pings are not otherwise limited.
    static let pingRate = 2.0
    static let pingBurst = 40.0
    /// How a socket that kept pinging past its limit is closed.
    static let tooManyPings = ClientConnection.CloseReason.refused(1008, "Too many pings")

    /// Whether a ping from the client is answered (see ``pingRate``); closes the socket when it ignored the limit.
    func takePing() -> Bool {
        switch limits.withLock({ $0.pings.take(now: ProcessInfo.processInfo.systemUptime) }) {
        case .allowed:
            return true
        case .refused:
            metrics?.messages.rateLimited(.websocketFrames)
            return false
        case .disconnect:
            metrics?.messages.rateLimited(.websocketFrames)
            connection.close(Self.tooManyPings)
            return false
        }
    }

    /// "Started typing" goes out at most this often per user and conversation, in seconds (``TypingGates``).
    static let typingInterval = 2.0
    /// How a socket that kept sending past its frame limit is closed.
    static let tooManyFrames = ClientConnection.CloseReason.refused(1008, "Too many frames")

    /// Greets the client, then registers the socket with the hub and replays (unread messages, or what a client at
    /// `resumeFrom` lacks). `greeting` is an extra frame sent right after `connected`; `reservation`, the socket's
    /// place among its user's, becomes its registration (or is given back when the socket ends first).
    func start(resumeFrom: ResumePoint?, greeting: ServerFrame?, reservation: SocketReservation? = nil) {
        self.reservation.withLock { $0 = reservation }
        connection.send(OutgoingFrame(.connected(userId: user.id, connectionId: connection.id, timestamp: .now())))
        if let greeting { connection.send(OutgoingFrame(greeting)) }
        connection.beginReplay()
        enqueue { session in await session.replay(from: resumeFrom, registering: true) }
    }

    /// The socket's place among its user's until it registers (``SocketReservation``).
    private let reservation = Mutex<SocketReservation?>(nil)

    /// Handles a text frame from the client (in order, after the frames before it). Once the relay began closing the
    /// socket (an expired token, changed rights, a limit), its frames are dropped: none acts any more.
    func receive(_ text: String) {
        guard connection.closeReason == nil else { return }
        let isPing = ClientFrame.isPing(text)
        if isPing, !takePing() { return }
        // The heartbeat is most of the traffic: answered at once when nothing is waiting before it.
        if isPing, work.withLock({ $0.canAnswerPingDirectly }) {
            metrics?.sockets.received("ping")
            connection.answer(OutgoingFrame(.pong(.now())))
            return
        }
        if !isPing, !takeFrame() { return }
        enqueue { session in await session.handle(text) }
    }

    /// A binary frame: refused with an `error` frame, within the same limit as the text frames.
    func receiveBinary() {
        guard connection.closeReason == nil, takeFrame() else { return }
        connection.send(OutgoingFrame(Self.binaryRefused))
    }

    private static let binaryRefused = ServerFrame.error(code: "unsupported", message: "Binary frames are not supported", retryAfter: nil)

    /// Whether a frame other than a ping is taken (see ``RealtimeConfiguration/frameRate``): refused with an `error`
    /// frame past the limit, and the socket closed (1008) when the client goes on.
    private func takeFrame() -> Bool {
        switch limits.withLock({ $0.frames.take(now: ProcessInfo.processInfo.systemUptime) }) {
        case .allowed:
            return true
        case .refused(let retryAfter):
            metrics?.messages.rateLimited(.websocketFrames)
            let frame = ServerFrame.error(code: "too_many_frames", message: "Too many frames; slow down", retryAfter: Int(retryAfter.rounded(.up)))
            connection.send(OutgoingFrame(frame))
            return false
        case .disconnect:
            metrics?.messages.rateLimited(.websocketFrames)
            connection.close(Self.tooManyFrames)
            return false
        }
    }

    /// The socket closed: unregisters it and turns off the typing indicators it left on. A job under way (a replay, a
    /// frame's request) keeps the socket's place among its user's until it ends: a client that closes sockets as
    /// soon as they open cannot run more replays at once than it may have sockets.
    func end() {
        // The client's close frame finishes the connection before its channel closes; a vanished client's does not.
        metrics?.sockets.disconnected(connection.closeReason != nil ? .server : connection.isFinished ? .client : .network)
        let running = work.withLock { $0.end() }
        // Finished first: a replay registering it from now on is refused (see Hub.register).
        connection.finish()
        var places = reservation.withLock { $0 }.map { [$0] } ?? []
        if running {
            if let held = hub.unregisterHoldingPlace(connection) { places.append(held) }
            // Given back when the job ends (now, when it ended meanwhile).
            let drained = leftover.withLock { leftover in
                if !leftover.drained { leftover.places = places }
                return leftover.drained
            }
            if drained { for place in places { place.release() } }
        } else {
            hub.unregister(connection)
            for place in places { place.release() }
        }
        let (service, user, gates) = (self.service, self.user, services.typing)
        typing.stopAll { conversationId in
            gates.expired(user.id, conversationId)
            try? await service.typing(viewer: user, conversationId: conversationId, isTyping: false)
        }
    }

    private func enqueue(_ job: @escaping Job) {
        let (start, pause) = work.withLock { $0.enqueue(job) }
        // A client that sends faster than its frames are handled is not read from until the backlog clears.
        if pause { connection.setReading(false) }
        if start { Task { await self.drain() } }
    }

    /// Runs queued jobs until none is left, then lets the task end; once the socket ended, gives back the places its
    /// last job held (see ``end()``).
    private func drain() async {
        while true {
            let (next, resume, ended) = work.withLock { work in
                let (next, resume) = work.next()
                return (next, resume, work.isEnded)
            }
            // Applied on the event loop, where frames are read and reading pauses, if still wanted there.
            if resume { connection.resumeReading { [self] in work.withLock { $0.wantsReading } } }
            guard let next else {
                if ended {
                    let places = leftover.withLock { leftover in
                        leftover.drained = true
                        defer { leftover.places = [] }
                        return leftover.places
                    }
                    for place in places { place.release() }
                }
                return
            }
            await next(self)
        }
    }

    /// The places a socket that ended holds until its last job ends, and whether it did.
    private let leftover = Mutex<(places: [SocketReservation], drained: Bool)>(([], false))

    /// Replays what the client lacks, then lets the live frames held meanwhile through.
    ///
    /// The socket joins the hub's batches at the hub's frontier (registering it, on connect, or where it stands, on a
    /// `resume` frame); the replay covers what that snapshot shows and the client lacks, the batches the rest. A
    /// cursor from a relay that is ahead is waited for first, so the batches bring nothing the client has.
    private func replay(from start: ResumePoint?, registering: Bool) async {
        // Until the relay follows commits, it cannot say where live delivery starts: the client comes back later.
        guard await feed.waitUntilStarted(timeout: Self.feedWait) else {
            let frame = ServerFrame.error(code: "unavailable", message: "Database unavailable", retryAfter: nil)
            connection.failReplay([OutgoingFrame(frame)], close: Self.replayFailed)
            return
        }
        if case .cursor(let cursor) = start {
            await feed.waitUntilCovers(cursor.end, timeout: Self.feedWait)
        } else {
            // Everything committed before the socket came is in the frontier it joins at, so its replay shows it as it
            // stands (a message another process wrote and the user read on another device meanwhile is not sent to it
            // live as new). One sweep serves every socket waiting for it.
            _ = try? await withTimeLimit(Self.feedWait, cancelLate: false) { [feed] in await feed.sweep() }
        }
        var joinedAt = hub.frontier
        if registering {
            // Two sockets admitted at once may both have found room: the registration decides.
            switch hub.register(connection, reservation: reservation.withLock { $0 }, maxPerUser: configuration.maxSocketsPerUser) {
            case .joined(let frontier): joinedAt = frontier
            case .ended: return
            case .closing:
                guard case .refused(let reason, let code, let message) = SocketAdmission.stopping else { return }
                connection.failReplay([OutgoingFrame(.error(code: code, message: message, retryAfter: nil))], close: reason)
                return
            case .full:
                guard case .refused(let reason, let code, let message) = SocketAdmission.tooManySockets else { return }
                metrics?.messages.rateLimited(.websocketSockets)
                connection.failReplay([OutgoingFrame(.error(code: code, message: message, retryAfter: nil))], close: reason)
                return
            }
        }
        do {
            // The user's rights may have changed while the socket waited to join, when no change could reach it (the hub
            // closes only registered sockets): checked again now that it is registered (a later change reaches it).
            if registering, try await currentViewer() == nil { return }
            // A socket gone meanwhile needs no more of the database's time (here and at each step below).
            guard !connection.isFinished else { return }
            var (messages, truncated) = try await service.replay(
                viewer: user, from: start, joinedAt: joinedAt, limit: configuration.replayLimit, byteBudget: configuration.maxQueuedBytes / 2)
            // First the reactions that changed since the cursor's batch began, as they stand at joinedAt (later changes
            // come with the live batches): a client that processes any frame after them has every change that snapshot
            // shows, which is what each cursor below claims (see Hub.publish).
            // More changes than one replay sends: the replay says `truncated`, and the client reloads through REST.
            guard !connection.isFinished else { return }
            var (reactions, reactionsTruncated) = try await reactionFrames(from: start, joinedAt: joinedAt)
            var position: ResumeCursor?
            // The replay takes at most half the socket's byte budget: its messages first (the first whatever its size),
            // so that a client resuming from the last one makes progress however many reactions changed, then the
            // reactions that fit in the rest (the least recently changed first); sent reactions first.
            let budget = configuration.maxQueuedBytes / 2
            var bytes = 0
            var frames: [OutgoingFrame] = []
            // Where the messages past the cursor's batch begin: their cursors start at its end.
            var pastBatch: Int?
            for (index, item) in messages.enumerated() {
                if case .cursor(let cursor) = start, let joinedAt {
                    // The rest of the cursor's batch first, then what joinedAt adds (see DeliveryRepository.messages).
                    if pastBatch == nil, !cursor.end.shows(txid: item.txid, id: item.message.id) { pastBatch = index }
                    position = cursor.replaying(txid: item.txid, id: item.message.id, upTo: joinedAt)
                }
                let frame = OutgoingFrame(.message(item.message, sender: item.sender, cursor: position, viewer: user))
                bytes += frame.json.utf8.count
                if bytes > budget, index > 0 {
                    messages = Array(messages.prefix(index))
                    truncated = true
                    break
                }
                frames.append(frame)
            }
            for (index, frame) in reactions.enumerated() {
                bytes += frame.json.utf8.count
                if bytes > budget {
                    reactions = Array(reactions.prefix(index))
                    reactionsTruncated = true
                    break
                }
            }
            truncated = truncated || reactionsTruncated
            // Reaction changes were left out, maybe some of the cursor's batch: a cursor that starts at the batch's end
            // would claim them. Those messages go without one (a resume from the cursor before them sends the changes
            // again; one that cannot make progress so reloads through REST). A cursor with an empty batch (the
            // `replayed` frame's) has none to claim: its cursors stay, and a resume from them sends the rest.
            // Whether the client can ask for the rest: the last message comes with its cursor (or, resuming by id, none does).
            var resumable = !messages.isEmpty
            if reactionsTruncated, case .cursor(let cursor) = start, !cursor.base.covers(cursor.end), let pastBatch, pastBatch < frames.count {
                resumable = false
                for index in pastBatch..<frames.count {
                    frames[index] = OutgoingFrame(.message(messages[index].message, sender: messages[index].sender, cursor: nil, viewer: user))
                }
            }
            guard !connection.isFinished else { return }
            frames = reactions + frames + (try await receiptFrames(from: start))
            if let start {
                var cursor: String?
                if case .cursor(let from) = start, let joinedAt, !truncated {
                    cursor = joinedAt.covers(from.end) ? ResumeCursor(complete: joinedAt).token : (position ?? from).token
                }
                frames.append(OutgoingFrame(.replayed(count: messages.count, truncated: truncated, cursor: cursor)))
            } else {
                // A fresh socket's unread messages end with where it joined: a client that drops before any live
                // message still has a cursor to resume from (read messages before it are for REST paging). Cut short,
                // they end with no cursor: the rest comes through REST.
                let cursor = truncated ? nil : joinedAt.map { ResumeCursor(complete: $0).token }
                frames.append(OutgoingFrame(.replayed(count: messages.count, truncated: truncated, cursor: cursor)))
            }
            metrics?.sockets.replayed(messages.count, kind: start == nil ? .unread : .resume)
            // Cut short, the client asks for the rest (`resume`): see ConnectionStateMachine.finishReplay.
            connection.finishReplay(frames, catchingUp: truncated && start != nil && resumable)
        } catch {
            // Live frames would carry cursors past what the client lacks: it is told why, and reconnects to resume.
            connection.failReplay([OutgoingFrame(Self.errorFrame(for: error, logger: logger))], close: Self.replayFailed)
        }
    }

    /// The `reaction_changed` frames a client at cursor `start` lacks up to `joinedAt` (none without a cursor: a fresh
    /// client reads reactions with the messages, and a message id says nothing about them).
    private func reactionFrames(from start: ResumePoint?, joinedAt: CommitSnapshot?) async throws -> (frames: [OutgoingFrame], truncated: Bool) {
        guard case .cursor(let cursor) = start else { return ([], false) }
        let (changes, truncated) = try await service.reactionChanges(
            viewer: user, since: cursor.base, upTo: joinedAt, limit: Self.replayedReactionLimit)
        return (changes.map { OutgoingFrame(.reactionChanged(ReactionChangedRepresentation($0, viewer: user))) }, truncated)
    }

    /// The `message_read` frames of the messages read since a little before the cursor's batch began (none without a
    /// cursor): receipts sent while the client was gone, of messages it has (a replayed message carries its `read_at`).
    /// Some it got already may come again; a receipt says the same each time.
    private func receiptFrames(from start: ResumePoint?) async throws -> [OutgoingFrame] {
        guard case .cursor(let cursor) = start else { return [] }
        let since = Timestamp(microsecondsSinceEpoch: (cursor.base.takenAtMillis - Self.receiptMarginMillis) * 1000)
        return try await service.readReceipts(viewer: user, since: since, limit: Self.replayedReceiptLimit).map {
            OutgoingFrame(.messageRead(messageId: $0.messageId, readAt: $0.readAt, readBy: nil))
        }
    }

    /// The most receipts one replay sends (the newest), and how far before the cursor's batch it looks for them.
    static let replayedReceiptLimit = 500
    static let receiptMarginMillis: Int64 = 10_000

    /// The most reaction changes one replay sends (``RealtimeConfiguration/replayLimit`` does as much for messages).
    static let replayedReactionLimit = 5000

    /// How a socket whose replay failed (the database is unreachable) is closed: 1013, try again later.
    static let replayFailed = ClientConnection.CloseReason.refused(1013, "Replay failed; reconnect and resume")

    /// How long a socket waits for the feed to start, or to catch up with a client's cursor, before replaying anyway.
    static let feedWait: Duration = .seconds(5)

    /// Acts on a frame in its turn; not once the relay began closing the socket (the frame was queued before): the
    /// client, which gets no answer, sends it again.
    private func handle(_ text: String) async {
        guard connection.closeReason == nil else { return }
        let parsed = ClientFrame.parse(text)
        metrics?.sockets.received(parsed.typeName)
        switch parsed {
        case .failure(let invalid):
            let frame = ServerFrame.error(code: invalid.code, message: invalid.message, retryAfter: nil)
            connection.send(OutgoingFrame(invalid.clientId.map(frame.answering) ?? frame))
        case .success(let frame):
            do {
                switch frame {
                case .ping:
                    connection.send(OutgoingFrame(.pong(.now())))
                case .sendMessage(let conversationId, let content, let attachmentIds, let clientId):
                    do {
                        guard let viewer = try await currentViewer() else { return }
                        // The service's local delivery hands it to the hub at commit, this socket included.
                        let sent = try await service.sendMessage(
                            viewer: viewer, conversationId: conversationId, content: content, attachmentIds: attachmentIds,
                            clientKey: clientId.map(ClientKey.clientId), source: .websocket)
                        if !sent.replayed { metrics?.messages.created(.websocket) }
                        if let clientId {
                            connection.send(
                                OutgoingFrame(.messageSent(MessageRepresentation(sent.message, sender: viewer, viewer: viewer), clientId: clientId)))
                        }
                    } catch {
                        if (error as? any ClassifiedError)?.failure.kind == .rateLimited { metrics?.messages.rateLimited(.websocketMessages) }
                        guard let clientId else { throw error }
                        connection.send(OutgoingFrame(Self.errorFrame(for: error, logger: logger).answering(clientId)))
                    }
                case .markRead(let ids):
                    guard let viewer = try await currentViewer() else { return }
                    // Receipts of what changed reach every socket concerned; this one also learns of those it missed
                    // (as one unit of its queue, however many), even when some ids were refused.
                    let marked = try await service.markRead(viewer: viewer, messageIds: ids)
                    let missed = marked.readBefore.map { OutgoingFrame(.messageRead(messageId: $0.id, readAt: $0.readAt, readBy: nil)) }
                    if !missed.isEmpty { connection.send(batch: missed) }
                    if let refusal = marked.refusal { throw refusal }
                case .typing(let conversationId, let isTyping):
                    let now = ProcessInfo.processInfo.systemUptime
                    guard services.typing.allow(user.id, conversationId, isTyping: isTyping, now: now) else { return }
                    do {
                        guard let viewer = try await currentViewer() else { return }
                        try await service.typing(viewer: viewer, conversationId: conversationId, isTyping: isTyping)
                    } catch {
                        // Refused (not the caller's conversation, say): nothing started, nothing to remember.
                        if isTyping { services.typing.expired(user.id, conversationId) }
                        throw error
                    }
                    if isTyping {
                        let (service, user) = (self.service, self.user)
                        typing.start(conversationId, after: configuration.typingTimeout) { [self] in
                            self.services.typing.expired(self.user.id, conversationId)
                            try? await service.typing(viewer: user, conversationId: conversationId, isTyping: false)
                        }
                    } else {
                        typing.cancel(conversationId)
                    }
                case .reaction(let messageId, let emoji, let add):
                    guard let viewer = try await currentViewer() else { return }
                    // The change comes back as a `reaction_changed` frame, with the relays' next sweep.
                    _ = try await service.react(viewer: viewer, messageId: messageId, emoji: emoji, add: add)
                case .resume(let point):
                    guard try await currentViewer() != nil else { return }
                    connection.beginReplay()
                    await replay(from: point, registering: false)
                }
            } catch {
                connection.send(OutgoingFrame(Self.errorFrame(for: error, logger: logger)))
            }
        }
    }

    /// The socket's user as stored now, with the rights the socket was registered with, while its token is valid;
    /// otherwise (deleted, made admin or no longer admin, expired) the socket is closed with 4401 and nil is returned:
    /// a frame never acts on old rights.
    private func currentViewer() async throws -> User? {
        guard connection.expires > Int64(Date().timeIntervalSince1970) else {
            connection.close(Hub.tokenExpired)
            return nil
        }
        let current = try await service.currentUser(user.id)
        guard let current, current.isAdmin == user.isAdmin else {
            connection.close(current == nil ? Hub.userDeleted : Hub.rightsChanged)
            return nil
        }
        return current
    }

    /// The `error` frame for a failure (see ``ServerFrame/error(for:logger:)``).
    static func errorFrame(for error: any Error, logger: Logger) -> ServerFrame { .error(for: error, logger: logger) }
}

extension Result<ClientFrame, ClientFrame.Invalid> {
    /// The frame's type as the metrics count it: `invalid` for text that is no frame.
    var typeName: String {
        switch self {
        case .failure: "invalid"
        case .success(.ping): "ping"
        case .success(.sendMessage): "send_message"
        case .success(.markRead): "mark_read"
        case .success(.typing): "typing"
        case .success(.resume): "resume"
        case .success(.reaction(_, _, let add)): add ? "add_reaction" : "remove_reaction"
        }
    }
}

/// Typing indicators this socket turned on, each switched off by the server if the client does not.
final class TypingTimers: Sendable {
    /// Each conversation's timer, with a number of its own: a timer that has fired removes itself only, never the one
    /// that replaced it meanwhile (which `cancel` must still reach).
    private let timers = Mutex<(next: Int, running: [UUID: (number: Int, task: Task<Void, Never>)], stopped: Bool)>((0, [:], false))

    /// Starts (or restarts) the timer of a conversation; returns its task. Once ``stopAll(expire:)`` ran (the socket
    /// ended while its "started typing" was being sent), `expire` runs at once instead.
    @discardableResult
    func start(_ conversationId: UUID, after delay: Duration, expire: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        timers.withLock { timers in
            guard !timers.stopped else { return Task { await expire() } }
            let number = timers.next
            timers.next += 1
            let task = Task {
                try? await Task.sleep(for: delay)
                if Task.isCancelled { return }
                await expire()
                self.timers.withLock { timers in
                    if timers.running[conversationId]?.number == number { timers.running[conversationId] = nil }
                }
            }
            timers.running.updateValue((number, task), forKey: conversationId)?.task.cancel()
            return task
        }
    }

    func cancel(_ conversationId: UUID) {
        timers.withLock { $0.running.removeValue(forKey: conversationId) }?.task.cancel()
    }

    /// Conversations with a timer running.
    var count: Int { timers.withLock { $0.running.count } }

    /// Cancels every timer and runs `expire` for each indicator still on; timers started later expire at once.
    func stopAll(expire: @escaping @Sendable (UUID) async -> Void) {
        let active = timers.withLock { timers in
            defer { (timers.running, timers.stopped) = ([:], true) }
            return timers.running
        }
        for (conversationId, (_, task)) in active {
            task.cancel()
            Task { await expire(conversationId) }
        }
    }
}
