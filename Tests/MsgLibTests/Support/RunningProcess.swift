import Foundation

/// A long-running child (a relay) whose output, stdout and stderr together, is collected while it runs.
final class RunningProcess: Sendable {
    private let child: ChildProcess

    /// Starts `name` from our build folder with `arguments` and extra `environment` (nil removes a variable).
    init(_ name: String, _ arguments: [String], environment: [String: String?] = [:]) throws {
        child = try ChildProcess(
            TestEnvironment.binary(name), arguments, environment: environment, mergeOutput: true)
    }

    /// Everything printed so far.
    var text: String { child.stdout }
    var isRunning: Bool { child.isRunning }
    var pid: Int32 { child.pid }
    var exitStatus: Int32? { child.exitStatus }

    /// Waits until the output matches `pattern` and returns the first capture group (or the whole match).
    func waitForOutput(_ pattern: String, timeout: TimeInterval = 30) async throws -> String {
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
    func signal(_ signal: Int32) {
        child.signal(signal)
    }

    /// Sends `signal` and waits for the process to exit.
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 30) async throws {
        child.signal(signal)
        try await waitFor("\(pid) to exit", timeout: timeout) { !child.isRunning }
    }
}
