import Synchronization
import Testing

@testable import RelayKit

/// The health probes' shared check: a flood of probes runs one check, answered to all of them.
@Suite struct SharedProbeTests {
    struct Refused: Error {}

    @Test func callersAtOnceShareOneCheckAndItsResultForItsAge() async throws {
        let probe = SharedProbe(maxAge: .seconds(30))
        let checks = Mutex(0)
        let (started, start) = AsyncStream<Void>.makeStream()
        let (release, released) = AsyncStream<Void>.makeStream()
        let check: @Sendable () async throws -> Bool = {
            checks.withLock { $0 += 1 }
            start.yield()
            for await _ in release { break }
            return true
        }
        let first = Task { try await probe.result(check) }
        for await _ in started { break }
        let others = (0..<100).map { _ in Task { try await probe.result(check) } }
        released.yield()
        #expect(try await first.value)
        for other in others { #expect(try await other.value) }
        // Within its age, later callers get the same answer without a check.
        #expect(try await probe.result(check))
        #expect(checks.withLock { $0 } == 1)
    }

    @Test func aFailureIsSharedTooAndAnOldResultIsCheckedAgain() async throws {
        let probe = SharedProbe(maxAge: .milliseconds(100))
        let checks = Mutex(0)
        let failing: @Sendable () async throws -> Bool = {
            checks.withLock { $0 += 1 }
            throw Refused()
        }
        await #expect(throws: Refused.self) { try await probe.result(failing) }
        await #expect(throws: Refused.self) { try await probe.result(failing) }
        #expect(checks.withLock { $0 } == 1)
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await probe.result { true })
    }
}
