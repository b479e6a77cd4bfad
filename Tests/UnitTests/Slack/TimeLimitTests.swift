import Synchronization
import TestSupport
import Testing

@testable import RelayKit

/// ``withTimeLimit(_:cancelLate:_:)``: the answer leaves in time, whatever the work does.
@Suite struct TimeLimitTests {
    struct Refusal: Error, Equatable {}

    @Test func workDoneInTimeIsReturnedAndItsErrorsThrown() async throws {
        #expect(try await withTimeLimit(.seconds(5), cancelLate: false) { 42 } == 42)
        await #expect(throws: Refusal.self) { try await withTimeLimit(.seconds(5), cancelLate: false) { () async throws -> Int in throw Refusal() } }
    }

    @Test func lateWorkIsAnsweredAtTheLimitAndFinishesByItself() async throws {
        let finished = Flag(false)
        let started = ContinuousClock.now
        let value = try await withTimeLimit(.milliseconds(100), cancelLate: false) { () async -> Int in
            // Not cancelled: it sleeps its full time, then records that it finished.
            try? await Task.sleep(for: .milliseconds(400))
            finished.set(true)
            return 1
        }
        #expect(value == nil)
        #expect(ContinuousClock.now - started < .milliseconds(390))
        try await waitFor("the late work to finish", timeout: 5) { finished.isSet }
    }

    @Test func lateWorkIsCancelledWhenAsked() async throws {
        let cancelled = Flag(false)
        let value = try await withTimeLimit(.milliseconds(50), cancelLate: true) { () async -> Int in
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                cancelled.set(true)
            }
            return 1
        }
        #expect(value == nil)
        try await waitFor("the late work to see its cancellation", timeout: 5) { cancelled.isSet }
    }
}
