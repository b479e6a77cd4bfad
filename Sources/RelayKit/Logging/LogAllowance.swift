import Synchronization

/// One log line per `interval` for an event that may come in floods (requests anyone can send): ``take(now:)`` says
/// whether to log this one, and how many were not logged since the last.
final class LogAllowance: Sendable {
    let interval: Duration
    private let state = Mutex<(last: ContinuousClock.Instant?, skipped: Int)>((nil, 0))

    init(interval: Duration) {
        self.interval = interval
    }

    /// The events left out since the last line when this one is to be logged; nil when it is not.
    func take(now: ContinuousClock.Instant) -> Int? {
        state.withLock { state in
            if let last = state.last, now - last < interval {
                state.skipped += 1
                return nil
            }
            defer { state = (now, 0) }
            return state.skipped
        }
    }
}
