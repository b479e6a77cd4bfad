import Foundation
@preconcurrency import Glibc
import Synchronization

/// A ``ProgressModel`` drawn on standard error, on one line redrawn in place with `\r`, and cleared at the end.
///
/// A thread of its own redraws the line (at most a few times a second, see ``ProgressRedraw``), so the time keeps
/// moving while the work blocks in a long statement. Disabled, every call does nothing: commands call it the same
/// way whether or not it shows.
final class ProgressLine: Sendable {
    private struct State {
        var model: ProgressModel?
        var redraw = ProgressRedraw()
        var stopped = false
        var tickerRunning = false
    }

    /// Whether anything shows (callers skip work done only for the line, such as counting the total).
    let isEnabled: Bool
    private let output: FileOutput
    private let state = Mutex(State())

    /// - Parameter enabled: false to show nothing (see ``ProgressOptions/showsProgress``).
    init(enabled: Bool, output: FileOutput = .standardError) {
        isEnabled = enabled
        self.output = output
    }

    /// Seconds on the monotonic clock, the time base of ``ProgressModel``.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Starts showing a new piece of work (replacing the one shown, whose line is cleared); its clock starts now.
    func begin(_ title: String, unit: String? = nil, estimate: Int? = nil) {
        guard isEnabled else { return }
        let startTicker = state.withLock { state -> Bool in
            clear(&state)
            state.model = ProgressModel(title: title, unit: unit, estimate: estimate, started: Self.now())
            state.redraw = ProgressRedraw()
            defer { state.tickerRunning = true }
            return !state.tickerRunning && !state.stopped
        }
        if startTicker {
            let thread = Thread { [self] in tick() }
            thread.name = "msgctl-progress"
            thread.start()
        }
    }

    /// Changes what the line shows (the count done, the estimate once known); drawn at the next tick.
    func update(_ change: (inout ProgressModel) -> Void) {
        guard isEnabled else { return }
        state.withLock { state in
            if state.model != nil { change(&state.model!) }
        }
    }

    /// Stops showing the current work and clears its line; ``begin(_:unit:estimate:)`` may start another.
    func end() {
        guard isEnabled else { return }
        state.withLock { state in
            clear(&state)
            state.model = nil
        }
    }

    /// Clears the line and stops the thread for good.
    func stop() {
        guard isEnabled else { return }
        state.withLock { state in
            clear(&state)
            state.model = nil
            state.stopped = true
        }
    }

    private func tick() {
        while true {
            usleep(50_000)
            let finished = state.withLock { state -> Bool in
                guard !state.stopped else { return true }
                guard let model = state.model else { return false }
                let now = Self.now()
                if state.redraw.shouldDraw(at: now, started: model.started) {
                    output.write("\r" + Self.fit(model.line(at: now), columns: columns()) + "\u{1B}[K")
                }
                return false
            }
            if finished { return }
        }
    }

    /// Erases the line if anything was drawn (called with the lock held, so no drawing follows it).
    private func clear(_ state: inout State) {
        if state.redraw.hasDrawn { output.write("\r\u{1B}[K") }
        state.redraw = ProgressRedraw()
    }

    /// The terminal's width, 80 when unknown.
    private func columns() -> Int {
        var size = winsize()
        guard ioctl(output.descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    /// `line` cut to fit in `columns - 1` characters: a line that wraps cannot be redrawn with `\r`.
    static func fit(_ line: String, columns: Int) -> String {
        let room = max(10, columns - 1)
        return line.count <= room ? line : String(line.prefix(room - 1)) + "…"
    }
}
