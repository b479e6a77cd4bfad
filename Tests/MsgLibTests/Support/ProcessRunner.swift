import Foundation

/// What a finished program printed, and how it ended.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum ProcessRunner {
    /// Runs `executable` with `arguments` to completion, adding `environment` to ours (nil values remove a variable).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:], input: String? = nil, timeout: TimeInterval = 60
    ) throws -> ProcessResult {
        let child = try ChildProcess(executable, arguments, environment: environment, input: input)
        let status = try child.waitUntilExit(timeout: timeout)
        return ProcessResult(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// Runs a long program from async code on a thread of its own, so Swift's few cooperative threads stay free
    /// for the tests running beside it.
    static func runDetached(
        _ executable: String, _ arguments: [String], environment: [String: String?] = [:], timeout: TimeInterval = 60
    ) async throws -> ProcessResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment, timeout: timeout) })
            }
        }
    }

    /// Runs one of our binaries (msgctl, msgrelay).
    static func ours(
        _ name: String, _ arguments: [String], environment: [String: String?] = [:], input: String? = nil, timeout: TimeInterval = 60
    ) throws -> ProcessResult {
        try run(TestEnvironment.binary(name), arguments, environment: environment, input: input, timeout: timeout)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds or `timeout` passes.
func waitFor(_ what: @autoclosure () -> String, timeout: TimeInterval = 20, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        do {
            if try await condition() { return }
        } catch let failure as TestFailure {
            throw failure
        } catch {}
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("timed out after \(timeout) s waiting for \(what())")
}
