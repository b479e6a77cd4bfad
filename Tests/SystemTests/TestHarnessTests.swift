import Foundation
import TestSupport
import Testing

/// The harness the other tests stand on: what they take for granted about child processes and the blackhole proxy.
@Suite(.needsProcesses) struct TestHarnessTests {
    /// A child holds none of the test process's descriptors beyond its standard three: tests run side by side, and a
    /// socket or pipe of one that a child of another inherited would stay open after the first closed it.
    @Test func aChildHoldsNoneOfTheTestProcessDescriptors() async throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestFailure("pipe failed") }
        defer { fds.forEach { close($0) } }
        let result = try await ProcessRunner.run("/bin/sh", ["-c", "ls /proc/$$/fd"])
        let held = Set(result.stdout.split(whereSeparator: \.isNewline).compactMap { Int32($0) })
        #expect(result.status == 0)
        #expect(!held.contains(fds[0]) && !held.contains(fds[1]), "the child holds \(held.sorted())")
        #expect(held.isSuperset(of: [0, 1, 2]))
    }

    /// A cut link is closed for its client when ``BlackholeProxy/cut()`` returns, even with a process started while it
    /// was open still running, and a restore after it forwards nothing more on it.
    @Test func aCutLinkIsClosedForItsClientWhenTheCutReturns() async throws {
        let upstream = try RecordingHTTPServer()
        defer { upstream.stop() }
        let proxy = try BlackholeProxy(upstreamPort: upstream.port)
        defer { proxy.stop() }
        let client = try RawHTTPConnection(port: proxy.port)
        #expect(client.send("GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        #expect(client.readResponse()?.status == 200)
        let bystander = try ChildProcess("/bin/sleep", ["30"])
        defer { bystander.signal(SIGKILL) }
        proxy.blackhole()
        #expect(client.send("GET /held HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        proxy.cut()
        proxy.restore()
        #expect(client.waitForClose(timeout: 5), "the link is closed for its client")
        #expect(upstream.requests.map(\.path) == ["/first"], "nothing held back was forwarded")
    }
}
