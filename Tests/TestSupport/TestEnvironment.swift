import Foundation
import MsgLib
import Synchronization
import Testing

/// Settings that scripts/test.sh exports for the tests.
package enum TestEnvironment {
    package static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// libpq conninfo of the throwaway cluster's `postgres` database.
    /// - Throws: when `MSGTEST_DATABASE_URL` is unset (suites that need it are marked ``needsDatabase`` and skipped).
    package static var serverConninfo: String {
        get throws {
            guard let value = environment["MSGTEST_DATABASE_URL"], !value.isEmpty else { throw TestFailure(databaseMissing) }
            return value
        }
    }

    /// True when scripts/test.sh started a PostgreSQL cluster for the tests.
    package static var hasDatabase: Bool { !(environment["MSGTEST_DATABASE_URL"] ?? "").isEmpty }

    /// True when msgctl and msgrelay are built where ``binDirectory`` says.
    package static var hasBinaries: Bool {
        ["msgctl", "msgrelay"].allSatisfy { FileManager.default.isExecutableFile(atPath: binary($0)) }
    }

    static let databaseMissing = "needs PostgreSQL: MSGTEST_DATABASE_URL is unset (scripts/test.sh starts a throwaway cluster and sets it)"
    static let processesMissing =
        "needs PostgreSQL and the built msgctl and msgrelay (scripts/test.sh builds them and sets MSGTEST_DATABASE_URL and MSG_BIN_DIR)"

    /// The folder holding the built msgctl and msgrelay.
    package static var binDirectory: URL {
        if let dir = environment["MSG_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    /// The path of one of our built programs (msgctl, msgrelay).
    package static func binary(_ name: String) -> String {
        binDirectory.appendingPathComponent(name).path
    }

    package static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// scripts/pg-cluster.sh, to start clusters of a test's own.
    package static var clusterScript: String {
        environment["MSGTEST_CLUSTER_SCRIPT"] ?? packageRoot.appendingPathComponent("scripts/pg-cluster.sh").path
    }

    /// A scratch folder that scripts/test.sh removes afterwards.
    package static var workDirectory: URL {
        URL(fileURLWithPath: environment["MSGTEST_WORK_DIR"] ?? NSTemporaryDirectory())
    }

    /// A new empty folder for one test's files, inside ``workDirectory``.
    package static func scratchFolder(_ prefix: String) throws -> URL {
        let url = workDirectory.appendingPathComponent(prefix + "-" + UUID().lowercasedString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A flag one thread sets and another reads (a `Mutex` cannot be captured by an escaping closure).
package final class Flag: Sendable {
    private let value: Mutex<Bool>

    package init(_ value: Bool) { self.value = Mutex(value) }

    package var isSet: Bool { value.withLock { $0 } }

    package func set(_ newValue: Bool) { value.withLock { $0 = newValue } }
}

extension Trait where Self == ConditionTrait {
    /// For suites that need PostgreSQL (integration tests): skipped, with the reason shown, outside scripts/test.sh.
    package static var needsDatabase: Self { .enabled(if: TestEnvironment.hasDatabase, Comment(rawValue: TestEnvironment.databaseMissing)) }

    /// For suites that run our programs against PostgreSQL (system tests): skipped, with the reason shown, outside
    /// scripts/test.sh.
    package static var needsProcesses: Self {
        .enabled(if: TestEnvironment.hasDatabase && TestEnvironment.hasBinaries, Comment(rawValue: TestEnvironment.processesMissing))
    }
}
