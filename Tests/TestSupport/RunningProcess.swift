import Foundation

/// A long-running child (a relay) whose output, stdout and stderr together, is collected while it runs.
package final class RunningProcess: Sendable {
    private let child: ChildProcess

    /// Starts `name` from our build folder with `arguments` and extra `environment` (nil removes a variable).
    package init(_ name: String, _ arguments: [String], environment: [String: String?] = [:]) throws {
        child = try ChildProcess(
            TestEnvironment.binary(name), arguments, environment: environment, mergeOutput: true)
    }

    /// Starts the program at `path` (not one of ours: a wrapper such as prlimit, given ours as an argument); with
    /// `unblockSignals`, with no signal blocked (see ``ChildProcess``).
    package init(path: String, _ arguments: [String], environment: [String: String?] = [:], unblockSignals: Bool = false) throws {
        child = try ChildProcess(path, arguments, environment: environment, mergeOutput: true, unblockSignals: unblockSignals)
    }

    /// Everything printed so far.
    package var text: String { child.stdout }
    package var isRunning: Bool { child.isRunning }
    package var pid: Int32 { child.pid }
    package var exitStatus: Int32? { child.exitStatus }

    /// Waits until the output matches `pattern` and returns the first capture group (or the whole match).
    package func waitForOutput(_ pattern: String, timeout: TimeInterval = 30) async throws -> String {
        let regex = try NSRegularExpression(pattern: pattern)
        var found: String?
        try await waitFor("output matching \(pattern); got: \(text)", timeout: timeout) {
            let current = text
            if !child.isRunning { throw TestFailure("process exited: \(current)") }
            guard let match = regex.firstMatch(in: current, range: NSRange(current.startIndex..., in: current)) else { return false }
            let group = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
            found = Range(group, in: current).map { String(current[$0]) }
            return true
        }
        return found ?? ""
    }

    /// Sends `signal` without waiting.
    package func signal(_ signal: Int32) {
        child.signal(signal)
    }

    /// Sends `signal` and waits for the process to exit.
    /// One that does not exit in time is told with the end of its output (what it was doing), then killed.
    package func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 30) async throws {
        child.signal(signal)
        do {
            try await waitFor("\(pid) to exit", timeout: timeout) { !child.isRunning }
        } catch {
            let tail = text.suffix(3000)
            child.signal(SIGKILL)
            throw TestFailure("\(error); its output ends with: \(tail)")
        }
    }
}
