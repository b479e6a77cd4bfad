import Foundation
import MsgLib
import Synchronization

/// Settings that scripts/test.sh exports for the tests.
enum TestEnvironment {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// libpq conninfo of the throwaway cluster's `postgres` database.
    static var serverConninfo: String {
        guard let value = environment["MSGTEST_DATABASE_URL"] else {
            fatalError("MSGTEST_DATABASE_URL is not set: run the tests with scripts/test.sh")
        }
        return value
    }

    /// The folder holding the built msgctl and msgrelay.
    static var binDirectory: URL {
        if let dir = environment["MSG_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    /// The path of one of our built programs (msgctl, msgrelay).
    static func binary(_ name: String) -> String {
        binDirectory.appendingPathComponent(name).path
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// scripts/pg-cluster.sh, to start clusters of a test's own.
    static var clusterScript: String {
        environment["MSGTEST_CLUSTER_SCRIPT"] ?? packageRoot.appendingPathComponent("scripts/pg-cluster.sh").path
    }

    /// A scratch folder that scripts/test.sh removes afterwards.
    static var workDirectory: URL {
        URL(fileURLWithPath: environment["MSGTEST_WORK_DIR"] ?? NSTemporaryDirectory())
    }

    /// A new empty folder for one test's files, inside ``workDirectory``.
    static func scratchFolder(_ prefix: String) throws -> URL {
        let url = workDirectory.appendingPathComponent(prefix + "-" + UUID().uuidString.lowercased())
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A flag one thread sets and another reads (a `Mutex` cannot be captured by an escaping closure).
final class Flag: Sendable {
    private let value: Mutex<Bool>

    init(_ value: Bool) { self.value = Mutex(value) }

    var isSet: Bool { value.withLock { $0 } }

    func set(_ newValue: Bool) { value.withLock { $0 = newValue } }
}
