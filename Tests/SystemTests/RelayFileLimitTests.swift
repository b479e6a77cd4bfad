import Foundation
import MsgLib
import TestSupport
import Testing

/// Each socket is an open file: the relay raises its soft limit to the hard one at start and says so.
@Suite(.needsProcesses, .processSlot) struct RelayFileLimitTests {
    @Test func theRelayTakesTheWholeOpenFileLimit() async throws {
        let database = try await TestDatabase.create()
        var limit = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let hard = UInt64(limit.rlim_max)
        try #require(hard > 2048, "the hard open-file limit here is \(hard)")
        // Started with a shell's usual soft limit of 1024.
        let relay = try RunningProcess(
            path: "/usr/bin/prlimit", ["--nofile=1024:\(hard)", TestEnvironment.binary("msgrelay"), "--port", "0"],
            environment: ["DATABASE_URL": database.conninfo, "JWT_SECRET": TestRelay.secret, "LOG_LEVEL": "info"])
        _ = try await relay.waitForOutput(#"listening on 127\.0\.0\.1:(\d+)"#)
        let limits = try String(contentsOfFile: "/proc/\(relay.pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let numbers = line.split(separator: " ").compactMap { UInt64($0) }
        #expect(numbers == [hard, hard], "\(line)")
        let logged = try await relay.waitForOutput(#"open_files=(\d+) raised_from=1024"#)
        #expect(UInt64(logged) == hard)
        try await relay.stop()
    }
}
