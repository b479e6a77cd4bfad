import MsgLib

/// What a LISTEN connection has proven: when to probe it next, when it counts as dead, and where a catch-up starts.
///
/// A connection counts as alive only for a round trip that came back (`SELECT clock_timestamp()` within a deadline),
/// not because reading its socket did not fail: a link whose peer vanished without closing it reads nothing and fails
/// nothing for hours. ``lastHealthy`` is the server's clock at the last answer, so after a loss the catch-up starts a
/// margin before the last moment the listener is known to have been receiving, whatever the gap's length.
/// Local times (`now`) are monotonic seconds; timestamps are the server's wall clock.
struct ListenerLiveness: Sendable, Equatable {
    /// Seconds between round trips on a healthy connection.
    let interval: Double
    /// Seconds a round trip may take before the connection counts as dead.
    let deadline: Double
    /// How far before the last proven moment a catch-up starts, to cover transactions that committed late.
    let margin: Double
    /// The server's clock at the last successful round trip (the listener's start before the first).
    private(set) var lastHealthy: Timestamp
    /// When the last round trip on the current connection succeeded; nil when none has yet.
    private(set) var lastProbe: Double?
    /// When the current connection was opened (or nil while there is none).
    private(set) var connectedAt: Double?
    /// The proven moment a pending catch-up starts from: set when a connection is lost, taken by the next one.
    private(set) var gapStart: Timestamp?

    /// The state at start: the first connection catches up from `start` (sockets may connect before it listens).
    init(start: Timestamp, interval: Double = 5, deadline: Double = 5, margin: Double = 5) {
        self.interval = interval
        self.deadline = deadline
        self.margin = margin
        self.lastHealthy = start
        self.gapStart = start
    }

    /// True when the connection should be probed: at once after connecting, then every ``interval``.
    func probeDue(at now: Double) -> Bool {
        guard let lastProbe else { return connectedAt != nil }
        return now - lastProbe >= interval
    }

    /// True when nothing was proven for longer than a probe interval and its deadline: the link counts as dead.
    func isOverdue(at now: Double) -> Bool {
        guard let since = lastProbe ?? connectedAt else { return false }
        return now - since > interval + deadline
    }

    /// A round trip succeeded at `now`; the server answered at `serverTime`.
    mutating func probed(serverTime: Timestamp, at now: Double) {
        lastProbe = now
        lastHealthy = serverTime
    }

    /// A connection is in place (LISTEN done) at `now`: returns where the catch-up starts, if one is pending.
    mutating func connected(at now: Double) -> Timestamp? {
        connectedAt = now
        lastProbe = nil
        defer { gapStart = nil }
        return gapStart.map { $0.adding(seconds: -margin) }
    }

    /// The connection was lost (or could not be opened): returns true for the first failure of a gap.
    mutating func lost() -> Bool {
        connectedAt = nil
        lastProbe = nil
        guard gapStart == nil else { return false }
        gapStart = lastHealthy
        return true
    }
}
