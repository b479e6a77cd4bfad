import Testing

/// Lets a test that starts our programs run only while fewer than ``ProcessSlots/limit`` such tests run. Every relay,
/// PostgreSQL session and helper server of the whole suite at once is more than two cores answer in time: the tests
/// that bound a delay (delivery latency, lock waits, deadlines) then fail for the machine, not for the code.
package struct ProcessSlot: TestTrait, SuiteTrait, TestScoping {
    package var isRecursive: Bool { true }

    package func scopeProvider(for test: Test, testCase: Test.Case?) -> ProcessSlot? {
        testCase == nil ? nil : self
    }

    package func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await ProcessSlots.shared.acquire()
        do {
            try await function()
        } catch {
            await ProcessSlots.shared.release()
            throw error
        }
        await ProcessSlots.shared.release()
    }
}

extension Trait where Self == ProcessSlot {
    /// See ``ProcessSlot``.
    package static var processSlot: Self { ProcessSlot() }
}

/// The slots ``ProcessSlot`` hands out, first come first served.
package actor ProcessSlots {
    package static let shared = ProcessSlots()
    /// Tests that start programs, running at once.
    package static let limit = 6

    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if running < Self.limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
