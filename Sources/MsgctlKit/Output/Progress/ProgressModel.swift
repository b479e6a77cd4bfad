import Foundation

/// Where a long piece of work stands and how it reads on one line: what is done, how much of the expected total,
/// the rate, the time elapsed and the time left. Times are seconds on one monotonic clock, given by the caller.
///
/// A counted job (`export`: rows) reads `export: 12,345 of ~50,000 rows (24%)  8,210 rows/s  elapsed 1.5s  left ~4.5s`;
/// a job measured only in time (a migration step) reads `db migrate: 25 message_client_keys, validate the client_key
/// check (step 2 of 4)  elapsed 12s`.
struct ProgressModel: Sendable, Equatable {
    /// What is under way.
    var title: String
    /// What is counted ("rows", "files"); nil for work measured only in time.
    var unit: String?
    /// How many are done.
    var done = 0
    /// The expected total, an estimate (the planner's); nil when unknown.
    var estimate: Int?
    /// When the work started.
    var started: Double

    /// The rate is not shown before this much time has passed: a first batch would give a wild figure.
    static let rateAfter = 1.0

    init(title: String, unit: String? = nil, estimate: Int? = nil, started: Double) {
        self.title = title
        self.unit = unit
        self.estimate = estimate
        self.started = started
    }

    /// Seconds since the start.
    func elapsed(at now: Double) -> Double { max(0, now - started) }

    /// Units per second since the start; nil before ``rateAfter`` or before the first unit.
    func rate(at now: Double) -> Double? {
        let elapsed = elapsed(at: now)
        guard unit != nil, done > 0, elapsed >= Self.rateAfter else { return nil }
        return Double(done) / elapsed
    }

    /// The part of the estimate done, from 0 to 0.99 while running; nil without an estimate or past it.
    var fraction: Double? {
        guard let estimate, estimate > 0, done < estimate else { return nil }
        return min(0.99, Double(done) / Double(estimate))
    }

    /// Seconds left at the rate so far; nil without a rate, an estimate, or once the estimate is passed (it was low).
    func remaining(at now: Double) -> Double? {
        guard let rate = rate(at: now), rate > 0, let estimate, done < estimate else { return nil }
        return Double(estimate - done) / rate
    }

    /// The line to show.
    func line(at now: Double) -> String {
        var parts: [String] = []
        if let unit {
            if let estimate, let fraction {
                parts.append("\(Self.count(done)) of ~\(Self.count(estimate)) \(unit) (\(Int(fraction * 100))%)")
            } else {
                parts.append("\(Self.count(done)) \(unit)")
            }
            if let rate = rate(at: now) { parts.append("\(Self.rate(rate)) \(unit)/s") }
        }
        parts.append("elapsed \(Self.duration(elapsed(at: now)))")
        if let remaining = remaining(at: now) { parts.append("left ~\(Self.duration(remaining))") }
        return title + (unit == nil ? "  " : ": ") + parts.joined(separator: "  ")
    }

    /// `7`, `12,345`, `1,234,567`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `0.4`, `12`, `8,210`: one decimal below 10, whole numbers above.
    static func rate(_ value: Double) -> String {
        value < 10 ? String(format: "%.1f", value) : count(Int(value.rounded()))
    }

    /// `0.4s`, `9.9s`, `42s`, `3m05s`, `2h07m`: tenths below 10 s, then seconds, minutes and seconds, hours and minutes.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 9.95 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        let minutes = whole / 60
        return String(format: "%dh%02dm", minutes / 60, minutes % 60)
    }
}

/// When a progress line is drawn: not before `delay` (short work shows nothing), then at most once per `interval`.
struct ProgressRedraw: Sendable, Equatable {
    /// Seconds after the start before the first drawing.
    var delay = 0.5
    /// Seconds between drawings at least (a few per second).
    var interval = 0.25
    /// When the line was last drawn.
    private(set) var lastDrawn: Double?

    init(delay: Double = 0.5, interval: Double = 0.25) {
        self.delay = delay
        self.interval = interval
    }

    /// Whether to draw at `now` for work started at `started`; records the drawing when it says yes.
    mutating func shouldDraw(at now: Double, started: Double) -> Bool {
        guard now - started >= delay else { return false }
        if let lastDrawn, now - lastDrawn < interval { return false }
        lastDrawn = now
        return true
    }

    /// Whether anything was drawn (and must be cleared at the end).
    var hasDrawn: Bool { lastDrawn != nil }
}
