import NIOCore

/// The deadlines of one HTTP connection (see ``HTTPTimeouts``), as a state machine fed with the connection's
/// events: whether it has run out of time is asked with ``isExpired(at:)``.
///
/// A request's head must be complete `header` after the connection opened or the request's first byte; its body
/// may keep the relay waiting `body` in all (only while the relay asks for more); a connection with no request
/// under way is closed after `idle`, and so is one whose client reads nothing of an answer for `idle`. An answer
/// sent before its request's body was read whole (a 413, a 401) leaves the client `header` and `drainLimit` bytes to
/// finish sending it.
struct HTTPConnectionDeadlines {
    /// What the connection is reading.
    enum Reading: Equatable {
        /// Nothing since the last request (or its answer) ended at `since`.
        case betweenRequests(since: NIODeadline)
        /// A request's head, begun at `since`.
        case head(since: NIODeadline)
        /// A request's body: `waited` for the client so far, and waiting since `waitingSince` now.
        case body(waited: TimeAmount, waitingSince: NIODeadline?)
    }

    let timeouts: HTTPTimeouts
    /// The most body bytes read after the answer was sent (the rest of a refused upload).
    let drainLimit: Int
    private(set) var reading: Reading
    /// Requests read whose answer has not ended yet.
    private(set) var unanswered = 0
    /// Set once the answer was sent while its request's body was still being read: the end of that body, and
    /// the bytes it may still send.
    private var drain: (until: NIODeadline, bytesLeft: Int)?
    /// Since when the client has read nothing of what the relay writes (the channel is not writable).
    private var unwritableSince: NIODeadline?
    /// A request ended in the current read: the rest of that read belongs to it, not to a new request.
    private var requestEndedInThisRead = false

    init(timeouts: HTTPTimeouts, drainLimit: Int, now: NIODeadline) {
        self.timeouts = timeouts
        self.drainLimit = drainLimit
        self.reading = .head(since: now)
    }

    /// Bytes arrived from the client (a read completed).
    mutating func bytesArrived(at now: NIODeadline) {
        switch reading {
        case .betweenRequests where !requestEndedInThisRead:
            reading = .head(since: now)
        case .body(let waited, let waitingSince?):
            reading = .body(waited: waited + (now - waitingSince), waitingSince: nil)
        default:
            break
        }
        requestEndedInThisRead = false
    }

    /// The relay asked for more bytes.
    mutating func readRequested(at now: NIODeadline) {
        if case .body(let waited, nil) = reading { reading = .body(waited: waited, waitingSince: now) }
    }

    /// A request's head was read whole.
    mutating func headRead() {
        reading = .body(waited: .zero, waitingSince: nil)
        unanswered += 1
        drain = nil
    }

    /// A part of a request's body was read; false when it goes past what an answered request may still send.
    mutating func bodyRead(bytes: Int) -> Bool {
        guard let current = drain else { return true }
        drain = (current.until, current.bytesLeft - bytes)
        return current.bytesLeft - bytes >= 0
    }

    /// A request was read whole.
    mutating func requestEnded(at now: NIODeadline) {
        reading = .betweenRequests(since: now)
        requestEndedInThisRead = true
        drain = nil
    }

    /// An answer was written whole.
    mutating func answerEnded(at now: NIODeadline) {
        unanswered = max(0, unanswered - 1)
        switch reading {
        case .betweenRequests: reading = .betweenRequests(since: now)
        case .head where unanswered == 0: reading = .head(since: now)
        case .body where unanswered == 0: drain = (now + TimeAmount(timeouts.header), drainLimit)
        default: break
        }
    }

    /// The channel became writable (true) or stopped being so.
    mutating func writabilityChanged(isWritable: Bool, at now: NIODeadline) {
        unwritableSince = isWritable ? nil : (unwritableSince ?? now)
    }

    /// True when the connection has run out of time and is to be closed.
    func isExpired(at now: NIODeadline) -> Bool {
        if let unwritableSince, now - unwritableSince >= TimeAmount(timeouts.idle) { return true }
        if let drain, now >= drain.until { return true }
        switch reading {
        case .head(let since):
            // A request read ahead while the previous one is answered is timed once that answer is sent.
            return unanswered == 0 && now - since >= TimeAmount(timeouts.header)
        case .body(let waited, let waitingSince):
            return waited + (waitingSince.map { now - $0 } ?? .zero) >= TimeAmount(timeouts.body)
        case .betweenRequests(let since):
            return unanswered == 0 && now - since >= TimeAmount(timeouts.idle)
        }
    }
}
