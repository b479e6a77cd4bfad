import Foundation

/// A PostgreSQL cluster of one test's own (scripts/pg-cluster.sh), for tests that stop or restart the server.
package struct PrivateCluster {
    package let directory: URL
    package let conninfo: String

    package static func start() throws -> PrivateCluster {
        let dir = TestEnvironment.workDirectory.appendingPathComponent("cluster-" + UUID().uuidString.prefix(8))
        let result = try script(["start", dir.path, "--fast"])
        return PrivateCluster(directory: dir, conninfo: result.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    package func stop() throws { _ = try Self.script(["stop", directory.path]) }
    package func restart() throws { _ = try Self.script(["restart", directory.path]) }
    package func start() throws { _ = try Self.script(["start", directory.path]) }

    private static func script(_ arguments: [String]) throws -> String {
        let result = try ProcessRunner.run("/bin/bash", [TestEnvironment.clusterScript] + arguments, timeout: 120)
        guard result.status == 0 else { throw TestFailure("pg-cluster.sh \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
        return result.stdout
    }
}
