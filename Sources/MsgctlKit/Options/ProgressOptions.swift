import ArgumentParser
import Foundation

/// `--no-progress`, for commands that show a progress line on standard error while they work.
struct ProgressOptions: ParsableArguments {
    @Flag(help: "Show no progress line on standard error (it shows only when standard error is a terminal).")
    var noProgress = false

    /// Whether to show progress: standard error is a terminal (not cron, not a file or a pipe), `TERM` is not `dumb`
    /// (the line is redrawn with escape sequences), and `--no-progress` was not given.
    var showsProgress: Bool {
        !noProgress && FileOutput.standardError.isTerminal && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// A progress line on standard error, shown when ``showsProgress``.
    func line() -> ProgressLine {
        ProgressLine(enabled: showsProgress)
    }
}
