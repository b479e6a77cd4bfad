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
        let release = Flag(false)
        let finished = Flag(false)
        let value = try await withTimeLimit(.milliseconds(100), cancelLate: false) { () async -> Int in
            // Not cancelled: it goes on until the test releases it, which happens only after the answer.
            while !release.isSet { try? await Task.sleep(for: .milliseconds(10)) }
            finished.set(true)
            return 1
        }
        #expect(value == nil)
        #expect(!finished.isSet)
        release.set(true)
        try await waitFor("the late work to finish", timeout: 10) { finished.isSet }
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
        try await waitFor("the late work to see its cancellation", timeout: 20) { cancelled.isSet }
    }
}
