import Foundation

/// A PostgreSQL cluster of one test's own (scripts/pg-cluster.sh), for tests that stop or restart the server.
package struct PrivateCluster {
    package let directory: URL
    package let conninfo: String

    /// Starts a new cluster; `durable` keeps fsync and synchronous commit on (for a synchronous standby); with
    /// `clockOffset` (a libfaketime offset such as `+120`), the server's clock is that far from this host's.
    package static func start(durable: Bool = false, clockOffset: String? = nil) throws -> PrivateCluster {
        let dir = newDirectory()
        let result = try script(["start", dir.path] + (durable ? [] : ["--fast"]), environment: ["PG_FAKETIME": clockOffset])
        return PrivateCluster(directory: dir, conninfo: result.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A synchronous streaming standby of this (durable, started) cluster: every commit on this one waits for it.
    package func startStandby() throws -> PrivateCluster {
        let dir = Self.newDirectory()
        let result = try Self.script(["standby", dir.path, directory.path])
        return PrivateCluster(directory: dir, conninfo: result.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The server's port.
    package var port: Int {
        Int(
            (try? String(contentsOf: directory.appendingPathComponent("port"), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                ?? "") ?? 0
    }

    /// Stops the server at once, as a crash would.
    package func crash() throws { _ = try Self.script(["crash", directory.path]) }
    /// Promotes a standby to a primary.
    package func promote() throws { _ = try Self.script(["promote", directory.path]) }

    private static func newDirectory() -> URL {
        TestEnvironment.workDirectory.appendingPathComponent("cluster-" + UUID().uuidString.prefix(8))
    }

    package func stop() throws { _ = try Self.script(["stop", directory.path]) }
    package func restart() throws { _ = try Self.script(["restart", directory.path]) }
    package func start() throws { _ = try Self.script(["start", directory.path]) }

    private static func script(_ arguments: [String], environment: [String: String?] = [:]) throws -> String {
        let result = try ProcessRunner.runBlocking(
            "/bin/bash", [TestEnvironment.clusterScript] + arguments, environment: environment, timeout: 120)
        guard result.status == 0 else { throw TestFailure("pg-cluster.sh \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
        return result.stdout
    }
}
