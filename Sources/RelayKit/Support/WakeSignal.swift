import Foundation

/// A latch one thread waits on and others set: a `signal` before the `wait` is not lost.
///
/// `pending` is only read and written with `condition` locked; hence `@unchecked`.
final class WakeSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = false

    func signal() {
        condition.lock()
        pending = true
        condition.signal()
        condition.unlock()
    }

    /// Returns when signalled (or at once if a signal came since the last wait), or after `seconds`.
    func wait(seconds: Double) {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, seconds))
        while !pending {
            if !condition.wait(until: deadline) { break }
        }
        pending = false
    }
}
