/// Delays between attempts after failures: `initial`, then `factor` times longer each time, at most `maximum`.
///
/// The defaults give 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5, 5, … seconds.
struct Backoff: Sendable, Equatable {
    let initial: Double
    let factor: Double
    let maximum: Double
    /// The delay the next failure waits.
    private(set) var current: Double

    init(initial: Double = 0.1, factor: Double = 2, maximum: Double = 5) {
        precondition(initial >= 0 && factor >= 1 && maximum >= 0, "a backoff must not shrink")
        self.initial = min(initial, maximum)
        self.factor = factor
        self.maximum = maximum
        self.current = self.initial
    }

    /// The delay to wait after this failure; the following one is longer.
    mutating func next() -> Double {
        let delay = current
        current = min(current * factor, maximum)
        return delay
    }

    /// After a success: the next failure waits `initial` again.
    mutating func reset() {
        current = initial
    }
}
