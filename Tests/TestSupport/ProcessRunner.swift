import Foundation

/// What a finished program printed, and how it ended.
package struct ProcessResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
}

package enum ProcessRunner {
    /// Runs `executable` with `arguments` to completion, adding `environment` to ours (nil values remove a variable),
    /// waiting on a thread of its own so that Swift's few cooperative threads stay free for the tests running beside it.
    package static func run(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:], input: String? = nil, timeout: TimeInterval = 60
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result { try runBlocking(executable, arguments, environment: environment, input: input, timeout: timeout) })
            }
        }
    }

    /// ``run(_:_:environment:input:timeout:)`` on the caller's thread: only for threads that may block.
    package static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:], input: String? = nil, timeout: TimeInterval = 60
    ) throws -> ProcessResult {
        let child = try ChildProcess(executable, arguments, environment: environment, input: input)
        let status = try child.waitUntilExit(timeout: timeout)
        return ProcessResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// ``run(_:_:environment:input:timeout:)``, kept for the callers that name it so.
    package static func runDetached(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:], timeout: TimeInterval = 60
    ) async throws -> ProcessResult {
        try await run(executable, arguments, environment: environment, timeout: timeout)
    }

    /// Runs one of our binaries (msgctl, msgrelay).
    package static func ours(
        _ name: String, _ arguments: [String], environment: [String: String?] = [:], input: String? = nil, timeout: TimeInterval = 60
    ) async throws -> ProcessResult {
        try await run(TestEnvironment.binary(name), arguments, environment: environment, input: input, timeout: timeout)
    }
}

package struct TestFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes.
package func waitFor(_ what: @autoclosure () -> String, timeout: TimeInterval = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        // The condition is looked at once more after the deadline: on a busy machine this task may not have run
        // for a while, and what it waits for may have happened meanwhile.
        let late = Date() >= deadline
        do {
            if try await condition() { return }
        } catch let failure as TestFailure {
            throw failure
        } catch {}
        if late { break }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("timed out after \(timeout) s waiting for \(what())")
}
