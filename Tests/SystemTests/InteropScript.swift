import Foundation
import TestSupport
import Testing

/// The Python scripts of Interop/ that check our output with independent implementations from PyPI, run by the
/// Python in `MSGTEST_PYTHON` (scripts/test.sh points it at its venv).
enum InteropScript {
    /// Runs `Interop/<script> command input` on a thread of its own and decodes the JSON it prints. Records an issue
    /// and returns nil when `MSGTEST_PYTHON` is not set.
    /// - Parameter needs: the PyPI packages the script imports, for the message that says how to get them.
    static func run<Output: Decodable>(
        _ script: String, _ command: String, _ input: [String: String], as _: Output.Type, needs: String
    ) async throws -> Output? {
        guard let python = ProcessInfo.processInfo.environment["MSGTEST_PYTHON"], !python.isEmpty else {
            Issue.record(
                """
                MSGTEST_PYTHON is not set: run the tests through scripts/test.sh, or set it to a Python that has \(needs) \
                (python3 -m venv .build/venv && .build/venv/bin/pip install \(needs); MSGTEST_PYTHON=$PWD/.build/venv/bin/python)
                """)
            return nil
        }
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Interop/\(script)").path
        let arguments = String(decoding: try JSONEncoder().encode(input), as: UTF8.self)
        let result = try await ProcessRunner.runDetached(python, [path, command, arguments], timeout: 60)
        guard result.status == 0 else {
            throw TestFailure("\(script) \(command) exited with \(result.status): \(result.stderr)")
        }
        return try JSONDecoder().decode(Output.self, from: Data(result.stdout.utf8))
    }
}
