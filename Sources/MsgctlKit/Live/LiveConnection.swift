import Foundation
import MsgLib
import RelayClient
import Synchronization

/// msgctl's WebSocket to the relay (the REPL's, `msgctl tail`'s), on a thread of its own: connects as the admin, hands
/// every frame to the caller through ``takeEvents()`` (and wakes its poll loop through ``wakeDescriptor``), pings every 30 s, and when
/// the connection is lost reconnects after 1, 2, 4 ... 30 s, resuming where ``ResumeTracker`` says (the cursor of the
/// last message processed, or after the last message it saw before it has one; a replay cut short is asked for the
/// rest) so that nothing is lost or shown twice.
final class LiveConnection: Sendable {
    /// What msgctl hears from the relay.
    enum Event: Sendable {
        case connected
        case disconnected(reason: String, retryIn: Int)
        case frame(LiveFrame)
    }

    let host: String
    let port: Int
    /// The real-time endpoint's path: the relay URL's own path (a relay served under a prefix) and `/ws/messages`.
    let endpoint: String
    /// Gives the bearer token for each connection (a fresh one, when made from JWT_SECRET, so a long run outlives
    /// any one token's expiry).
    let token: @Sendable () -> String
    private let state = Mutex(State())
    private let wakePipe: (read: Int32, write: Int32)

    private struct State {
        var events: [Event] = []
        var socket: RelaySocket?
        var resume = ResumeTracker()
        var stopping = false
        /// The `error` frame of the last refused connection (a relay refusing a socket upgrades it to say why, then
        /// closes it): the same refusal again is not passed on at each attempt.
        var refusal: String?
    }

    /// Whether a socket can be opened to `relay`: http or ws (any case), since msgctl opens it without TLS.
    static func opens(_ relay: URL) -> Bool { ["http", "ws"].contains(relay.scheme?.lowercased() ?? "") }

    /// - Parameter relay: `http://host:port` (the relay's base URL), perhaps with a path it is served under.
    /// - Parameter start: the cursor the first socket resumes from (where the caller began: the database's snapshot
    ///   then), so that what was committed before it could open (the relay down, or slow to answer) is replayed;
    ///   without it, the first socket gets the unread messages.
    init(relay: URL, token: @escaping @Sendable () -> String, from start: ResumeCursor? = nil) throws {
        guard let host = relay.host, Self.opens(relay) else {
            throw UserFacingError("--relay must be an http:// URL such as http://127.0.0.1:8080, not \(relay.absoluteString)")
        }
        self.host = host
        port = relay.port ?? 80
        var prefix = relay.path
        while prefix.hasSuffix("/") { prefix.removeLast() }
        endpoint = prefix + "/ws/messages"
        self.token = token
        if let start { state.withLock { $0.resume = ResumeTracker(cursor: start.token) } }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw UserFacingError("cannot create a pipe", exitStatus: .software) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        wakePipe = (fds[0], fds[1])
    }

    /// Where a command that follows from now on resumes from: the database's snapshot now, so that a relay down or slow
    /// to answer at start misses nothing of what comes meanwhile; nil when the database does not answer.
    static func startingNow(_ service: MessagingService) async -> ResumeCursor? {
        try? await ResumeCursor(complete: service.currentSnapshot())
    }

    /// Readable when events are waiting: the REPL polls it beside the terminal.
    var wakeDescriptor: Int32 { wakePipe.read }

    /// Starts the connection thread.
    func start() {
        let thread = Thread { self.run() }
        thread.name = "msgctl-live"
        thread.start()
    }

    /// Takes the events received so far.
    func takeEvents() -> [Event] {
        var drain = [UInt8](repeating: 0, count: 256)
        while read(wakePipe.read, &drain, drain.count) > 0 {}
        return state.withLock { state in
            defer { state.events = [] }
            return state.events
        }
    }

    /// Sends a frame if connected; false when offline.
    @discardableResult
    func send(_ frame: ClientFrame) -> Bool {
        guard let socket = state.withLock({ $0.socket }) else { return false }
        do {
            try socket.send(frame.json)
            return true
        } catch {
            return false
        }
    }

    /// Remembers the newest message seen (also from the database), so a reconnect resumes after it.
    func saw(messageId: String) {
        state.withLock { $0.resume.saw(messageId: messageId) }
    }

    /// Closes the connection and ends the thread.
    func stop() {
        let socket: RelaySocket? = state.withLock { state in
            state.stopping = true
            return state.socket
        }
        try? socket?.sendClose()
        if let socket { shutdown(socket.fileDescriptor, Int32(SHUT_RDWR)) }
    }

    private func post(_ event: Event) {
        state.withLock { $0.events.append(event) }
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    private func run() {
        var delay = 1
        while !stopping {
            // The token goes in a header, never in the URL, which proxies write to their logs.
            var path = endpoint
            if let query = state.withLock({ $0.resume.opening() }) { path += "?" + query }
            do {
                let socket = try RelaySocket(host: host, port: port, path: path, headers: ["Authorization": "Bearer \(token())"], timeout: 5)
                state.withLock { $0.socket = socket }
                // Connected once the relay says so: a refused socket is upgraded too, to be told why, and the delay
                // keeps growing for it.
                try receive(socket) { delay = 1 }
            } catch {
                state.withLock { $0.socket = nil }
                if stopping { break }
                post(.disconnected(reason: "\(error)", retryIn: delay))
                let deadline = Date().addingTimeInterval(Double(delay))
                while Date() < deadline, !stopping { usleep(100_000) }
                delay = min(delay * 2, 30)
            }
        }
    }

    /// Reads frames until the connection ends, pinging every 30 s; `accepted` runs when the relay's `connected` frame
    /// comes.
    private func receive(_ socket: RelaySocket, accepted: () -> Void) throws {
        var lastPing = Date()
        var isAccepted = false
        while !stopping {
            var descriptor = pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0)
            if !socket.hasBufferedFrame { _ = poll(&descriptor, 1, 1000) }
            if Date().timeIntervalSince(lastPing) >= 30 {
                try socket.send(ClientFrame.ping.json)
                lastPing = Date()
            }
            guard socket.hasBufferedFrame || descriptor.revents != 0 else { continue }
            let frame = try socket.readFrame()
            if frame.isClose { throw UserFacingError("the relay closed the connection (code \(frame.closeCode ?? 0))") }
            guard let serverFrame = try? ServerFrame(json: frame.payload) else { continue }
            if case .connected = serverFrame {
                state.withLock { $0.refusal = nil }
                isAccepted = true
                accepted()
                post(.connected)
                continue
            }
            if case .error(_, let message, _, _) = serverFrame, !isAccepted {
                let repeated = state.withLock { state in
                    defer { state.refusal = message }
                    return state.refusal == message
                }
                if repeated { continue }
            }
            if let answer = state.withLock({ $0.resume.received(serverFrame) }) {
                try socket.send(answer.json)
                // The rest of a replay cut short is on its way: nothing for the person to fetch.
                if case .replayed(let count, _, _) = serverFrame {
                    post(.frame(.replayed(count: count, truncated: false)))
                    continue
                }
            }
            post(.frame(LiveFrame(serverFrame)))
        }
        state.withLock { $0.socket = nil }
        throw UserFacingError("stopped")
    }
}

/// A frame from the relay, as the REPL shows it.
enum LiveFrame: Sendable {
    struct Message: Sendable {
        /// The message as the relay sent it: the REST API's fields, and the cursor.
        var representation: MessageRepresentation
        var id: String { representation.id }
        var conversationId: String { representation.conversationId }
        var username: String { representation.sender.username }
        var displayName: String { representation.sender.displayName }
        var senderIsAdmin: Bool { representation.sender.isAdmin }
        var content: String { representation.content }
        var createdAt: Timestamp? { representation.createdAt }
        var attachments: [MessageAttachment] { representation.attachments }
    }

    case message(Message)
    case read(messageId: String)
    case typing(conversationId: String, userId: String, isTyping: Bool)
    case replayed(count: Int, truncated: Bool)
    case reaction(ReactionChangedRepresentation)
    case error(code: String, message: String)
    case other

    /// Decodes a frame's JSON text; nil when it is not a frame.
    init?(json: [UInt8]) {
        guard let frame = try? ServerFrame(json: json) else { return nil }
        self.init(frame)
    }

    init(_ frame: ServerFrame) {
        switch frame {
        case .message(let message):
            self = .message(Message(representation: message))
        case .messageRead(let messageId, _, _):
            self = .read(messageId: messageId.lowercasedString)
        case .typing(let conversationId, let userId, let isTyping):
            self = .typing(conversationId: conversationId.lowercasedString, userId: userId.lowercasedString, isTyping: isTyping)
        case .replayed(let count, let truncated, _):
            self = .replayed(count: count, truncated: truncated)
        case .error(let code, let message, _, _):
            self = .error(code: code, message: message)
        case .reactionChanged(let change):
            self = .reaction(change)
        case .connected, .pong, .unknown, .messageSent:
            self = .other
        }
    }
}
