import Foundation

/// How many frames a socket may send, without I/O: a token bucket of `burst` frames refilled at `rate` per second, for
/// every frame but pings. A frame beyond it is refused (the client is told when to try again); a client that goes on
/// sending while refused, `burst` frames more, is disconnected.
struct FrameLimiter: Sendable {
    enum Decision: Equatable {
        case allowed
        /// Dropped; a token comes back after this many seconds.
        case refused(retryAfter: Double)
        /// Dropped, and the client ignored the refusals: close the socket.
        case disconnect
    }

    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: Double
    /// Frames refused since the last one allowed.
    private(set) var refusedInARow = 0

    /// - Parameter now: seconds on a monotonic clock.
    init(rate: Double, burst: Double, now: Double) {
        precondition(rate > 0 && burst >= 1)
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.last = now
    }

    mutating func take(now: Double) -> Decision {
        tokens = min(burst, tokens + max(0, now - last) * rate)
        last = max(last, now)
        if tokens >= 1 {
            tokens -= 1
            refusedInARow = 0
            return .allowed
        }
        refusedInARow += 1
        if Double(refusedInARow) > burst { return .disconnect }
        return .refused(retryAfter: (1 - tokens) / rate)
    }
}

/// Typing indicators of one socket, without I/O: "started typing" goes out at most twice per `interval` per
/// conversation, and only once while it is on (a client that sends it at every keystroke costs one event; one that
/// alternates "started" and "stopped" gets two pairs through per interval, where a user who sends a message and goes
/// on typing needs the second); "stopped" goes out when a "started" did and is still on.
struct TypingGate: Sendable {
    let interval: Double
    /// Per conversation: when the current interval began, how many "started" went out in it, and whether the last one
    /// is still on (no "stopped" since).
    private var started: [UUID: (since: Double, count: Int, on: Bool)] = [:]

    init(interval: Double) {
        self.interval = interval
    }

    /// The most conversations a socket is typing in at once, as far as the gate keeps track: more than anyone types in,
    /// and a bound on what a socket naming conversation after conversation can make the relay keep.
    static let maxConversations = 64

    /// "Started" indicators that may go out per conversation and interval.
    static let startsPerInterval = 2

    /// Whether this indicator goes out. - Parameter now: seconds on a monotonic clock.
    mutating func allow(_ conversationId: UUID, isTyping: Bool, now: Double) -> Bool {
        if isTyping {
            if let last = started[conversationId], now - last.since < interval {
                guard !last.on, last.count < Self.startsPerInterval else { return false }
                started[conversationId] = (last.since, last.count + 1, true)
                return true
            }
            if started[conversationId] == nil, started.count >= Self.maxConversations {
                // Those stopped or older than the interval make room ("stopped" for an old one then says nothing; the
                // server's timeout switches it off).
                started = started.filter { $0.value.on && now - $0.value.since < interval }
                guard started.count < Self.maxConversations else { return false }
            }
            started[conversationId] = (now, 1, true)
            return true
        }
        guard let last = started[conversationId], last.on else { return false }
        started[conversationId] = (last.since, last.count, false)
        return true
    }

    /// Conversations the gate keeps track of.
    var tracked: Int { started.count }

    /// Whether the gate says nothing any more: no indicator on, none started within the interval.
    func isIdle(now: Double) -> Bool {
        started.values.allSatisfy { !$0.on && now - $0.since >= interval }
    }

    /// The server switched the indicator off itself (its sender went quiet): a later "stopped" has nothing to say.
    mutating func expired(_ conversationId: UUID) {
        if let last = started[conversationId] { started[conversationId] = (last.since, last.count, false) }
    }
}
